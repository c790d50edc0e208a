"""Each column type of a feed: what it accepts, what it stores, and why it refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.monitoring.feeds.kinds import FeedColumn
from minzheng.monitoring.feeds.rows import PARSERS
from minzheng.registry.importing.values import BadValue


def parse(kind: str, cell, values=()):  # type: ignore[no-untyped-def]
    return PARSERS[kind](cell, FeedColumn("c", "列", kind, values=tuple(values)))


@pytest.mark.parametrize(
    ("kind", "cell", "expected"),
    [
        ("money", "1,234.5", 123450),
        ("money", 12.34, 1234),
        ("money", "¥8元", 800),
        ("integer", "3", 3),
        ("integer", 4.0, 4),
        ("integer", 2, 2),
        ("decimal", "85.50", "85.5"),
        ("decimal", 120, "120"),
        ("date", "2024年7月3日", dt.date(2024, 7, 3)),
        ("date", dt.datetime(2024, 7, 3, 8, 0), dt.date(2024, 7, 3)),
        ("month", "2024-07", dt.date(2024, 7, 1)),
        ("month", "2024年7月", dt.date(2024, 7, 1)),
        ("month", "202407", dt.date(2024, 7, 1)),
        ("month", "2024/7", dt.date(2024, 7, 1)),
        ("month", dt.date(2024, 7, 19), dt.date(2024, 7, 1)),
        ("month", "2024-07-19", dt.date(2024, 7, 1)),
        ("sex", "男", "1"),
        ("sex", "女", "2"),
        ("sex", "2", "2"),
        ("sex", 1.0, "1"),
        ("division", "440106", "440106000000"),
        ("division", 440106001.0, "440106001000"),
        ("text", " 住院 ", "住院"),
    ],
)
def test_accepted(kind, cell, expected):
    assert parse(kind, cell) == expected


def test_a_choice_takes_only_its_values():
    assert parse("choice", "住院", ["门诊", "住院"]) == "住院"
    with pytest.raises(BadValue) as exc:
        parse("choice", "急诊", ["门诊", "住院"])
    assert "可填：门诊、住院" in exc.value.reason and "one of 门诊, 住院" in exc.value.reason_en


@pytest.mark.parametrize(
    ("kind", "cell", "reason"),
    [
        ("money", "12.345", "最多两位小数"),
        ("money", "-5", "金额不能为负数"),
        ("money", "十元", "金额格式错误"),
        ("integer", "三", "应为整数"),
        ("integer", "2.5", "应为整数"),
        ("decimal", "约 80", "应为数字"),
        ("decimal", "NaN", "应为数字"),
        ("date", "2024-13-01", "日期格式错误"),
        ("month", "2024-13", "月份格式错误"),
        ("month", "七月", "月份格式错误"),
        ("sex", "未填", "性别“未填”无效"),
        ("division", "44010", "格式错误"),
        ("division", "4401060a1", "格式错误"),
    ],
)
def test_refused_with_a_reason_in_both_languages(kind, cell, reason):
    with pytest.raises(BadValue) as exc:
        parse(kind, cell)
    assert reason in exc.value.reason
    assert exc.value.reason_en and exc.value.reason_en != exc.value.reason

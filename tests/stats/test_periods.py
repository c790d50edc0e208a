"""Periods: quarter, month, year; provisional until the period's last day is over."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.stats.periods import PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024Q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
        ("2024q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2024-12", dt.date(2024, 12, 1), dt.date(2024, 12, 31)),
        ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ],
)
def test_periods_parse(text, start, end):
    p = parse_period(text)
    assert (p.start, p.end, p.year_start) == (start, end, dt.date(start.year, 1, 1))


@pytest.mark.parametrize(
    "text", ["2024Q5", "2024-13", "24Q1", "2024-7", "", "2024Q3x", "0000Q1", "1899", "2100"]
)
def test_bad_periods_are_refused(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_provisional_until_the_last_day_is_over():
    p = parse_period("2024Q3")
    assert p.provisional(dt.date(2024, 9, 30))
    assert not p.provisional(dt.date(2024, 10, 1))

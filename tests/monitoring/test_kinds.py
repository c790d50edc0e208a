"""Feed kinds: the YAML declarations load, and a malformed one names its file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from minzheng.monitoring.feeds.kinds import KindError, kind, kinds, load_kind, load_kinds

GOOD = """\
kind: {name}
title: 测试
title_en: Test
department: 测试局
key: record_no
date: happened_on
columns:
  - {{name: id_number, zh: 公民身份号码, type: id_number}}
  - {{name: name, zh: 姓名, type: text, required: true}}
  - {{name: sex, zh: 性别, type: sex}}
  - {{name: birth_date, zh: 出生日期, type: date}}
  - {{name: division, zh: 区划代码, type: division, required: true}}
  - {{name: happened_on, zh: 日期, type: date, required: true}}
  - {{name: record_no, zh: 记录号, type: text}}
"""


def write(tmp_path: Path, text: str, name: str = "probe") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_twelve_shipped_kinds_load():
    names = {k.kind for k in kinds()}
    assert len(names) == 12 and {"medical", "death", "rr_monitoring", "wage_income"} <= names
    med = kind("medical")
    assert med.key == "settlement_no" and med.date == "settled_on"
    assert [c.name for c in med.payload_columns] == [
        "total_fen",
        "out_of_pocket_fen",
        "visit_type",
        "diagnosis",
    ]


def test_the_key_column_is_always_required(tmp_path):
    spec = load_kind(write(tmp_path, GOOD.format(name="probe")))
    assert spec.column("record_no").required


def test_a_new_kind_is_a_new_file(tmp_path):
    write(tmp_path, GOOD.format(name="probe"))
    write(tmp_path, GOOD.format(name="other"), "other")
    assert set(load_kinds(tmp_path)) == {"probe", "other"}


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(KindError) as exc:
        kind("nope")
    assert "medical" in exc.value.message and "unknown feed kind 'nope'" in exc.value.message_en


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace("title_en: Test\n", ""), "title_en"),
        (lambda t: t.replace("key: record_no", "key: missing"), "key"),
        (lambda t: t.replace("date: happened_on", "date: name"), "date"),
        (lambda t: t.replace("type: sex", "type: gender"), "columns[2].type"),
        (lambda t: t.replace("zh: 姓名, ", ""), "columns[1].zh"),
        (lambda t: t.replace("  - {name: sex, zh: 性别, type: sex}\n", ""), "columns"),
        (lambda t: t.replace("zh: 日期", "zh: 姓名"), "columns.zh"),
        (lambda t: t.replace("kind: probe", "kind: other"), "kind"),
        (lambda t: t + "  - {name: c, zh: 选项, type: choice}\n", "columns[7].values"),
        (lambda t: t + "  - [oops]\n", "columns[7]"),
        (lambda t: t.replace("columns:", "columns: [\n"), ""),
    ],
)
def test_a_malformed_declaration_names_file_and_field(tmp_path, edit, field):
    path = write(tmp_path, edit(GOOD.format(name="probe")))
    with pytest.raises(KindError) as exc:
        load_kind(path)
    assert exc.value.message.startswith(f"probe.yaml：{field}")
    assert exc.value.message_en.startswith(f"probe.yaml: {field}")

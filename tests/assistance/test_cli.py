"""``minzheng assess`` and ``minzheng parameters show|import|export`` through click.

stdout carries JSON and nothing else (it is piped into ``jq``); reasons go to stderr.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from minzheng.assistance.models import Parameter
from minzheng.cli import main
from tests.assistance.conftest import household


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, prog_name="minzheng")


def write_json(path: Path, doc, *, encoding: str = "utf-8") -> Path:  # type: ignore[no-untyped-def]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding=encoding)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["参数", "区划", "取值", "起始日期", "截止日期", "依据"])
        w.writerows(rows)
    return path


# --- minzheng assess -----------------------------------------------------------------------
def test_assess_prints_only_json_on_stdout(ladder, tmp_path):
    result = run("assess", str(write_json(tmp_path / "户.json", household())))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    answer = json.loads(result.stdout)
    assert answer["programmes"]["dibao"]["monthly_amount_fen"] == 110000
    assert answer["parameters"]["dibao_urban_fen"]["division_prefix"] == "440106"
    assert answer["division_name"] == "天河区"


def test_assess_reads_stdin_and_a_bom(ladder, tmp_path):
    piped = run("assess", "-", stdin=json.dumps(household(date="2024-06-30")))
    assert piped.exit_code == 0 and piped.stderr == ""
    assert json.loads(piped.stdout)["programmes"]["dibao"]["monthly_amount_fen"] == 85000
    bom = write_json(tmp_path / "bom.json", household(), encoding="utf-8-sig")
    assert json.loads(run("assess", str(bom)).stdout)["division"] == "440106"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (household(division="999999"), "division"),
        (household(members=[{"birth_date": "1980-02-30"}]), "members[0].birth_date"),
        (household(parameters={"dibao_standard": "800.001"}), "parameters.dibao_standard"),
        ([1, 2, 3], "$"),
    ],
)
def test_assess_a_bad_document_exits_2_with_a_json_error_on_stderr(seeded, doc, field):
    result = run("assess", "-", stdin=json.dumps(doc))
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["field"] == field
    assert error["error"] and error["error_en"] and error["error"] != error["error_en"]


def test_assess_invalid_json_exits_2_with_nothing_on_stdout(seeded):
    result = run("assess", "-", stdin="{division: 440106")
    assert result.exit_code == 2 and result.stdout == ""
    assert "invalid JSON" in result.stderr and "line 1" in result.stderr


def test_assess_invalid_json_is_a_json_error_too(seeded):
    error = json.loads(run("assess", "-", stdin="{division: 440106").stderr)
    assert error["error_en"]


def test_assess_an_infinite_income_exits_2(seeded):
    doc = '{"division": "440106", "members": [{"monthly_income": Infinity}]}'
    result = run("assess", "-", stdin=doc)
    assert result.exit_code == 2
    assert json.loads(result.stderr)["field"] == "members[0].monthly_income"


def test_assess_a_missing_file_fails_without_output_on_stdout(seeded, tmp_path):
    result = run("assess", str(tmp_path / "nope.json"))
    assert result.exit_code != 0 and result.stdout == ""


# --- minzheng parameters show --------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "prefix", "display", "since"),
    [
        ("2023-12-31", "", "706.60", "2020-01-01"),
        ("2024-01-01", "44", "950.00", "2024-01-01"),
        ("2024-06-30", "44", "950.00", "2024-01-01"),
        ("2024-07-01", "440106", "1200.00", "2024-07-01"),
    ],
)
def test_show_says_which_value_from_which_division_since_when(ladder, day, prefix, display, since):
    result = run("parameters", "show", "dibao_urban_fen", "--division", "440106001", "--date", day)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    shown = json.loads(result.stdout)
    assert (shown["division_prefix"], shown["display"], shown["valid_from"]) == (
        prefix,
        display,
        since,
    )
    assert shown["unit"] == "元/人·月" and shown["title"] == "城市低保标准"


def test_show_without_a_division_is_the_national_value(ladder):
    shown = json.loads(run("parameters", "show", "dibao_urban_fen", "--date", "2024-07-01").stdout)
    assert (shown["division_prefix"], shown["value"]) == ("", 70660)


def test_show_before_any_value_and_an_unknown_name_fail_in_both_languages(ladder):
    early = run(
        "parameters", "show", "dibao_urban_fen", "--division", "440106", "--date", "2019-01-01"
    )
    assert early.exit_code == 1 and early.stdout == ""
    assert "没有取值" in early.stderr and "has no value" in early.stderr
    unknown = run("parameters", "show", "no_such_rule")
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert "未知参数" in unknown.stderr and "unknown parameter" in unknown.stderr


def test_show_a_bad_date_is_a_clean_error(ladder):
    result = run("parameters", "show", "dibao_urban_fen", "--date", "2024-13-01")
    assert isinstance(result.exception, SystemExit) and result.exit_code != 0
    assert result.stdout == "" and "2024-13-01" in result.stderr


def test_show_a_bad_division_is_an_error(ladder):
    result = run("parameters", "show", "dibao_urban_fen", "--division", "4401x6")
    assert result.exit_code != 0 and result.stdout == ""


# --- minzheng parameters import ------------------------------------------------------------
ROWS = [
    ["dibao_urban_fen", "440106", "1200", "2024-07-01", "", "穗天民〔2024〕7号"],
    ["dibao_urban_fen", "44", "950.00", "2024-01-01", "", ""],
    ["count_wage", "440106", "2", "2024-07-01", "", ""],
]


def test_import_prints_a_json_summary_and_the_bad_rows_on_stderr(seeded, tmp_path):
    report = tmp_path / "report.json"
    result = run(
        "parameters", "import", str(write_csv(tmp_path / "p.csv", ROWS)), "--report", str(report)
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary == {"rows": 3, "created": 2, "corrected": 0, "unchanged": 0, "rejected": 1}
    assert "第 4 行 取值" in result.stderr and "must be 0 or 1" in result.stderr
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["errors"] == [
        {
            "row": 4,
            "column": "取值",
            "message": "计入工资性收入只能是 0 或 1",
            "message_en": "count_wage must be 0 or 1",
        }
    ]
    again = json.loads(run("parameters", "import", str(tmp_path / "p.csv")).stdout)
    assert (again["unchanged"], again["created"], again["rejected"]) == (2, 0, 1)


def test_import_as_a_county_approver_only_lands_its_own_rows(seeded, people, tmp_path):
    path = write_csv(tmp_path / "p.csv", ROWS[:2])
    result = run("parameters", "import", str(path), "--as", "county1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    assert "第 3 行" in result.stderr and "not allowed" in result.stderr
    row = Parameter.objects.get(division_prefix="440106")
    assert row.created_by == people.county1
    assert not Parameter.objects.filter(division_prefix="44").exists()


def test_import_as_an_unknown_user_is_a_clean_error(seeded, tmp_path):
    result = run("parameters", "import", str(write_csv(tmp_path / "p.csv", ROWS)), "--as", "nobody")
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert "nobody" in result.stderr


def test_import_of_an_unreadable_file_exits_1(seeded, tmp_path):
    bad = tmp_path / "p.pdf"
    bad.write_bytes(b"%PDF-1.4")
    result = run("parameters", "import", str(bad))
    assert result.exit_code == 1 and "xlsx" in result.stderr


# --- minzheng parameters export ------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_is_unchanged(ladder, tmp_path, suffix):
    out = tmp_path / f"参数{suffix}"
    exported = run("parameters", "export", "--out", str(out), "--division", "440106")
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.stdout)
    assert summary == {"rows": Parameter.objects.count(), "file": str(out)}
    imported = run("parameters", "import", str(out))
    assert json.loads(imported.stdout) == {
        "rows": summary["rows"],
        "created": 0,
        "corrected": 0,
        "unchanged": summary["rows"],
        "rejected": 0,
    }
    assert imported.stderr == ""


def test_export_for_a_sibling_county_leaves_out_tianhe(ladder, tmp_path):
    out = tmp_path / "yuexiu.csv"
    summary = json.loads(
        run("parameters", "export", "--out", str(out), "--division", "440104").stdout
    )
    assert summary["rows"] == Parameter.objects.count() - 1
    assert ",440106," not in out.read_text(encoding="utf-8-sig")

"""``minzheng calendar``: load, import, show and template, through click."""

from __future__ import annotations

import json

from click.testing import CliRunner

from minzheng.workdays.cli import calendar
from minzheng.workdays.models import CalendarYear
from tests.workdays.conftest import write_csv
from tests.workdays.schedule2027 import ROWS_2027


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(calendar, list(args), prog_name="minzheng calendar")


def test_load_then_show_a_year(db):
    loaded = run("load")
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["created"] > 700
    shown = run("show", "2024")
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert "2024-10-01  休  国庆节  National Day" in lines
    assert "2024-09-29  班  国庆节  National Day" in lines
    assert shown.stderr == ""


def test_show_warns_about_a_year_not_imported_and_csv_reimports(db, tmp_path):
    shown = run("show", "2027")
    assert shown.exit_code == 0 and shown.stdout == ""
    assert "2027 年的法定节假日安排尚未导入" in shown.stderr
    run("load")
    out = tmp_path / "2025.csv"
    out.write_text(run("show", "2025", "--csv").stdout, encoding="utf-8")
    assert out.read_text(encoding="utf-8").splitlines()[0] == "日期,类型,名称,英文名称"
    again = run("import", str(out), "--source", "re-import")
    assert json.loads(again.stdout)["unchanged"] == 28 + 5


def test_import_a_file_with_a_report(db, tmp_path):
    path = write_csv(tmp_path / "2027.csv", [*ROWS_2027, ["2027-01-04", "班", "元旦"]])
    report = tmp_path / "report.json"
    result = run("import", str(path), "--source", "通知", "--report", str(report))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"], summary["covered"]) == (21, 1, False)
    assert "第 23 行" in result.stderr and "标记为已导入" in result.stderr
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["errors"][0]["row"] == 23 and saved["errors"][0]["column"] == "日期"
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_import_of_an_unreadable_file_exits_1(db, tmp_path):
    result = run("import", str(tmp_path / "nope.xlsx"), "--source", "通知")
    assert result.exit_code == 1
    assert "文件不存在" in result.output and "file not found" in result.output


def test_template_is_written(tmp_path):
    out = tmp_path / "模板.xlsx"
    assert run("template", "--out", str(out)).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_every_command_has_an_example():
    for name, cmd in [("calendar", calendar), *calendar.commands.items()]:
        assert "Example:" in (cmd.help or ""), name

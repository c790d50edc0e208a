"""``minzheng import feed`` and the feed template: exit codes, JSON on stdout, Chinese on stderr."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from minzheng.cli import main
from minzheng.monitoring.feeds.cli import feed_template
from minzheng.monitoring.models import FeedRecord
from tests.conftest import ids
from tests.monitoring.feeds import medical, write_csv


def invoke(*args: str, cmd: click.Command = main):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cmd, list(args))


def test_import_prints_a_json_summary_and_writes_the_report(db, tmp_path):
    a, b = ids(2)
    path = write_csv(tmp_path / "m.csv", [medical("S1", a), medical("S2", b, own="x")])
    out = invoke("import", "feed", "medical", str(path), "--report", str(tmp_path / "r.json"))
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert summary["rows"] == 2 and summary["created"] == 1 and summary["rejected"] == 1
    assert "导入成功 1 条，失败 1 条" in out.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["errors"][0]["column"] == "个人自付" and report["provenance"]["kind"] == "medical"
    again = invoke("import", "feed", "medical", str(path))
    assert json.loads(again.stdout)["unchanged"] == 1


def test_import_as_a_named_user(db, world, tmp_path):
    (a,) = ids(1)
    path = write_csv(tmp_path / "m.csv", [medical("S1", a, division="440104003")])
    out = invoke("import", "feed", "medical", str(path), "--as", "county1")
    assert out.exit_code == 0 and json.loads(out.stdout)["rejected"] == 1
    assert not FeedRecord.objects.exists()
    missing = invoke("import", "feed", "medical", str(path), "--as", "nobody")
    assert missing.exit_code == 1 and "no such user" in missing.stderr


def test_unreadable_files_and_unknown_kinds_exit_1(db, tmp_path):
    out = invoke("import", "feed", "medical", str(tmp_path / "none.csv"))
    assert out.exit_code == 1 and "file not found" in out.stderr
    path = write_csv(tmp_path / "m.csv", [])
    out = invoke("import", "feed", "nope", str(path))
    assert (
        out.exit_code == 1 and "unknown feed kind 'nope'" in out.stderr and "medical" in out.stderr
    )
    assert invoke("import", "feed").exit_code == 2


def test_list_kinds(db):
    out = invoke("import", "feed", "--list")
    assert out.exit_code == 0
    listed = {k["kind"]: k for k in json.loads(out.stdout)}
    assert len(listed) == 12 and listed["medical"]["department"] == "医疗保障局"


def test_the_template_has_headers_dropdowns_and_text_ids(tmp_path):
    from openpyxl import load_workbook

    out = invoke("medical", "--out", str(tmp_path / "t.xlsx"), cmd=feed_template)
    assert out.exit_code == 0, out.output
    wb = load_workbook(tmp_path / "t.xlsx")
    data, help_ = wb.worksheets
    headers = [c.value for c in data[1]]
    assert headers[0] == "公民身份号码" and headers[-1] == "结算单号"
    assert data["A2"].number_format == "@"
    lists = [dv.formula1 for dv in data.data_validations.dataValidation]
    assert '"男,女"' in lists and '"门诊,住院,门诊慢特病"' in lists
    assert help_.title == "填表说明" and "医疗保障局" in str(help_["A2"].value)
    assert invoke("nope", "--out", str(tmp_path / "x.xlsx"), cmd=feed_template).exit_code == 1

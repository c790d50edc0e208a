"""The 救助参数 page: values in force and their source, setting, export, template, import."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from minzheng.assistance.models import Parameter
from minzheng.assistance.param_io import HEADERS
from minzheng.assistance.parameters import parameter_lookup
from tests.conftest import make_user
from tests.world import login

PAGE = "/assistance/parameters/"


def row_of(page: str, name: str) -> str:
    return page.split(f'data-name="{name}"')[1].split("</tr>")[0]


def test_the_value_in_force_names_its_division_and_start(ladder, people, client):
    login(client, people.county1)
    row = row_of(client.get(PAGE, {"on": "2024-08-01"}).content.decode(), "dibao_urban_fen")
    assert "1200.00" in row and "天河区" in row and "2024-07-01" in row and "元/人·月" in row
    row = row_of(client.get(PAGE, {"on": "2024-03-01"}).content.decode(), "dibao_urban_fen")
    assert "950.00" in row and "广东省" in row and "2024-01-01" in row
    page = client.get(PAGE, {"group": "price"}).content.decode()
    assert 'data-name="cpi_threshold_permille"' in page
    assert 'data-name="dibao_urban_fen"' not in page
    # A division outside the user's own is not shown: the page falls back to their own.
    row = row_of(client.get(PAGE, {"division": "440104", "on": "2024-08-01"}).content.decode(),
                 "dibao_urban_fen")  # fmt: skip
    assert "1200.00" in row


def test_approvers_set_their_own_division_and_below_only(ladder, people, client):
    analyst = make_user("analyst1", "440106", "analyst")
    login(client, analyst)
    page = client.get(PAGE).content.decode()
    assert 'data-name="dibao_urban_fen"' in page and 'name="valid_from"' not in page
    form = {"name": "dibao_urban_fen", "division": "440106", "value": "1300",
            "valid_from": "2025-01-01", "note": "穗天民〔2025〕1号"}  # fmt: skip
    resp = client.post(PAGE, form, follow=True)
    assert "只有审批人员可以设置参数 / only approvers" in resp.content.decode()
    login(client, people.county1)
    assert 'name="valid_from"' in client.get(PAGE).content.decode()
    resp = client.post(PAGE, form, follow=True)
    assert "已设置" in resp.content.decode()
    found = parameter_lookup("dibao_urban_fen", "440106", dt.date(2025, 2, 1))
    assert found is not None and found.value == 130000 and found.note == "穗天民〔2025〕1号"
    assert "已更正" not in client.post(PAGE, form, follow=True).content.decode()  # unchanged
    resp = client.post(PAGE, {**form, "division": "44"}, follow=True)
    assert (
        "无权设置 44 的参数（须为本级及下级区划的审批人员） / not allowed" in resp.content.decode()
    )
    resp = client.post(PAGE, {**form, "division": "440106001", "value": "abc"}, follow=True)
    assert "取值 &#x27;abc&#x27; 不是数字 / value" in resp.content.decode()
    resp = client.post(PAGE, {**form, "division": "440106001", "value": "1350"}, follow=True)
    found = parameter_lookup("dibao_urban_fen", "440106001", dt.date(2025, 2, 1))
    assert found is not None and (found.value, found.division_prefix) == (135000, "440106001")


def test_the_export_holds_the_values_in_force(ladder, people, client):
    login(client, people.county1)
    resp = client.get("/assistance/parameters/export/", {"on": "2024-08-01"})
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(resp.content)).active.values)
    assert list(rows[0]) == HEADERS
    urban = next(r for r in rows if r[0] == "dibao_urban_fen")
    assert urban[1:4] == ("440106", "1200.00", "2024-07-01") and urban[5] == "穗天民〔2024〕7号"


def test_the_blank_template_has_the_columns_and_a_guide(people, client):
    login(client, people.county1)
    resp = client.get("/assistance/parameters/template/")
    wb = load_workbook(io.BytesIO(resp.content))
    values = list(wb["救助参数"].values)
    assert list(values[0]) == HEADERS and all(v is None for row in values[1:] for v in row)
    assert wb["救助参数"]["B2"].number_format == "@"
    names = [r[0] for r in wb["填表说明"].values]
    assert "dibao_urban_fen" in names


def test_an_upload_reports_each_bad_row_with_its_column_and_reason(
    ladder, people, client, tmp_path
):
    path = tmp_path / "params.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["参数", "区划", "取值", "起始日期", "截止日期", "依据"])
        w.writerow(["dibao_urban_fen", "440106", "1250", "2025-01-01", "", "新标准"])
        w.writerow(["no_such_thing", "440106", "1", "2025-01-01", "", ""])
        w.writerow(["dibao_urban_fen", "44", "1000", "2025-01-01", "", ""])  # above the county
        w.writerow(["dibao_urban_fen", "440106", "1250", "2025-13-01", "", ""])
    town = make_user("town9", "440106001", "caseworker")
    login(client, town)
    with path.open("rb") as fh:
        resp = client.post("/assistance/parameters/import/", {"file": fh}, follow=True)
    assert "只有审批人员可以导入参数" in resp.content.decode()
    login(client, people.county1)
    with path.open("rb") as fh:
        page = client.post("/assistance/parameters/import/", {"file": fh}).content.decode()
    assert "共 4 行：新增 1，更正 0，未变 0，失败 3" in page
    errors = page.split('id="import-errors"')[1]
    assert "<td>3</td><td>参数</td><td>未知参数 &#x27;no_such_thing&#x27;" in errors
    assert "<td>4</td><td>区划</td><td>无权设置 44 的参数" in errors
    assert "<td>5</td><td>起始日期</td>" in errors
    assert Parameter.objects.filter(name="dibao_urban_fen", division_prefix="440106",
                                    value=125000).exists()  # fmt: skip
    bad = tmp_path / "params.txt"
    bad.write_text("x")
    with bad.open("rb") as fh:
        resp = client.post("/assistance/parameters/import/", {"file": fh}, follow=True)
    assert "仅允许导入 xls、xlsx、csv 格式文件 / only" in resp.content.decode()

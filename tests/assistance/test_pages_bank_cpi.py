"""The bank's result file on the roster page, the CPI import page and the subsidy roster."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from openpyxl import Workbook

from minzheng.assistance.models import Enrolment, Payment, PaymentStatus, PriceIndex, Roster
from minzheng.assistance.parameters import parameters_seed
from minzheng.assistance.payments import roster_generate
from tests.conftest import make_user
from tests.world import login

OCT = dt.date(2024, 10, 1)


@pytest.fixture
def roster(world, division):
    """天河区's October 低保 roster: t1 2119.80, t2 800.00."""
    parameters_seed()
    county = division("440106")
    for key, amount in (("t1", 211980), ("t2", 80000)):
        Enrolment.objects.create(programme="dibao", household=world.households[key],
                                 payee=world.persons[key][0], division=county, amount_fen=amount,
                                 covered_persons=len(world.persons[key]),
                                 valid_from=dt.date(2024, 9, 1))  # fmt: skip
    return roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster


def bank_file(world, tmp_path, suffix: str = ".csv"):  # type: ignore[no-untyped-def]
    ids = [world.persons["t1"][0].id_number, world.persons["t2"][0].id_number]
    rows = [
        ["证件号码", "金额", "结果", "失败原因"],
        [ids[0], "2119.80", "成功", ""],
        [ids[1], "800.00", "失败", "账户已销户"],
        [ids[1][:-1] + "0", "1.00", "成功", ""],  # not on the roster
        [ids[0], "9.99", "成功", ""],  # wrong amount
    ]
    path = tmp_path / f"result{suffix}"
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    else:
        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    return path


def upload(client, url: str, path, **extra):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return client.post(url, {"file": fh, **extra})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_bank_result_marks_lines_and_lists_what_did_not_match(world, roster, client,
                                                                  tmp_path, suffix):  # fmt: skip
    url = f"/assistance/rosters/{roster.pk}/bank/"
    path = bank_file(world, tmp_path, suffix)
    login(client, world.users["county1"])
    page = upload(client, url, path).content.decode()
    assert "共 4 行：成功 1，失败 1，未匹配 2" in page
    unmatched = page.split('id="bank-unmatched"')[1]
    assert "<td>4</td>" in unmatched and "不在花名册" in unmatched
    assert "<td>5</td>" in unmatched and "金额不符" in unmatched
    assert world.persons["t1"][0].id_number not in page
    assert 'id="rec-paid">1<' in page and 'id="rec-failed">1<' in page
    statuses = dict(Payment.objects.filter(roster=roster).values_list("payee__name", "status"))
    assert statuses == {"甲一": PaymentStatus.PAID, "丙一": PaymentStatus.FAILED}
    # The same file again changes nothing.
    page = upload(client, url, path).content.decode()
    assert (
        'id="rec-paid">1<' in page
        and 'id="rec-failed">1<' in page
        and 'id="rec-pending">0<' in page
    )
    assert Payment.objects.get(roster=roster, status="failed").bank_reason == "账户已销户"


def test_only_county_staff_upload_bank_results(world, roster, client, tmp_path):
    url = f"/assistance/rosters/{roster.pk}/bank/"
    path = bank_file(world, tmp_path)
    for who in ("town1", "county2"):  # a township of the county; another county
        login(client, world.users[who])
        assert upload(client, url, path).status_code == 404
    login(client, make_user("analyst1", "440106", "analyst"))
    resp = upload(client, url, path)
    assert resp.status_code == 302
    assert not Payment.objects.filter(roster=roster).exclude(status="pending").exists()
    login(client, world.users["county1"])
    bad = tmp_path / "result.csv"
    bad.write_text("甲,乙\n1,2\n", encoding="utf-8")
    resp = upload(client, url, bad)
    resp = client.get(resp["Location"])
    assert "缺少列：证件号码 / missing column" in resp.content.decode()


def cpi_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "cpi.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["区划", "月份", "CPI同比", "食品CPI同比"])
        w.writerow(["440106", "2024-10", "3.4", "6.3"])  # food CPI triggers
        w.writerow(["440106", "2024-11", "2.1", "4.0"])  # nothing triggers
        w.writerow(["44x", "2024-12", "1", "1"])  # bad division
        w.writerow(["440106", "2024-13", "1", "1"])  # bad month
        w.writerow(["440106", "2024-12", "高", "1"])  # bad CPI
        w.writerow(["440104", "2024-12", "1", "1"])  # another county's
    return path


def test_the_cpi_import_reports_rows_and_the_trigger(world, roster, client, tmp_path):
    login(client, world.users["county1"])
    page = upload(client, "/assistance/prices/", cpi_file(tmp_path), action="import",
                  source="统计局").content.decode()  # fmt: skip
    assert "共 6 行：导入成功 2 条，失败 4 条" in page
    errors = page.split('id="index-errors"')[1]
    assert "<td>4</td><td>区划</td><td>区划须为 2、4、6 位代码" in errors
    assert "<td>5</td><td>月份</td><td>月份格式须为 YYYY-MM" in errors
    assert "<td>6</td><td>CPI同比</td><td>须为百分数" in errors
    assert "<td>7</td><td>区划</td><td>无权导入该区划的价格指数" in errors
    assert PriceIndex.objects.count() == 2
    table = page.split('id="indices"')[1]
    oct_row = table.split("2024-10")[1].split("</tr>")[0]
    nov_row = table.split("2024-11")[1].split("</tr>")[0]
    assert "3.4" in oct_row and "6.3" in oct_row and "已启动" in oct_row
    assert "未启动" in nov_row
    # Only approvers import.
    login(client, world.users["town1"])
    resp = upload(client, "/assistance/prices/", cpi_file(tmp_path), action="import")
    assert resp.status_code == 302 and PriceIndex.objects.count() == 2


def test_the_price_roster_pays_when_triggered_and_explains_when_not(world, roster, client,
                                                                   tmp_path, division):  # fmt: skip
    login(client, world.users["county1"])
    upload(client, "/assistance/prices/", cpi_file(tmp_path), action="import")
    county = division("440106")
    resp = client.post("/assistance/prices/", {"action": "roster", "county": county.pk,
                                               "month": "2024-10"}, follow=True)  # fmt: skip
    price = Roster.objects.get(programme="price", month=OCT)
    # 706.60 × 6.3% = 44.52 a person; t1 covers 3, t2 covers 2.
    assert price.rows == 2 and price.total_fen == 5 * 4452
    assert "已生成价格临时补贴花名册：2 人" in resp.content.decode()
    resp = client.post("/assistance/prices/", {"action": "roster", "county": county.pk,
                                               "month": "2024-11"}, follow=True)  # fmt: skip
    assert "未达到启动条件：CPI 同比 2.1%" in resp.content.decode()
    # Another county's approver cannot make this county's roster.
    login(client, world.users["county2"])
    resp = client.post("/assistance/prices/", {"action": "roster", "county": county.pk,
                                               "month": "2024-12"}, follow=True)  # fmt: skip
    assert "请选择县（区）" in resp.content.decode()
    assert not Roster.objects.filter(programme="price", month=dt.date(2024, 12, 1)).exists()

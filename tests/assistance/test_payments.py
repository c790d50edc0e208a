"""Rosters: idempotent generation, never paid twice, bank results, stop on death."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from minzheng.assistance.models import Enrolment, Payment, PaymentStatus
from minzheng.assistance.payments import (
    bank_result_import,
    roster_export,
    roster_generate,
    roster_reconcile,
)
from minzheng.registry.services import person_death_record

OCT = dt.date(2024, 10, 1)


@pytest.fixture
def enrolled(world, division):
    county = division("440106")
    rows = []
    for key, amount in (("t1", 211980), ("t2", 80000), ("moved", 50000)):
        hh = world.households[key]
        rows.append(
            Enrolment.objects.create(
                programme="dibao",
                household=hh,
                payee=world.persons[key][0],
                division=county,
                amount_fen=amount,
                valid_from=dt.date(2024, 9, 1),
                bank_account=f"6222{hh.pk:08d}",
            )
        )
    return county, rows


def test_roster_is_idempotent_and_checksummed(world, enrolled):
    county, rows = enrolled
    first = roster_generate(actor=world.users["county1"], county=county, programme="dibao",
                            month=dt.date(2024, 10, 15))  # fmt: skip
    roster = first.roster
    assert (first.created, roster.rows, roster.total_fen) == (3, 3, 211980 + 80000 + 50000)
    again = roster_generate(
        actor=world.users["county1"], county=county, programme="dibao", month=OCT
    )
    assert again.roster.pk == roster.pk and again.created == 0 and again.kept == 3
    assert again.roster.checksum == roster.checksum
    # The amount of an enrolment changes before payment: the pending line follows it.
    Enrolment.objects.filter(pk=rows[1].pk).update(amount_fen=90000)
    third = roster_generate(actor=None, county=county, programme="dibao", month=OCT)
    assert third.updated == 1 and third.roster.total_fen == 211980 + 90000 + 50000
    assert third.roster.checksum != roster.checksum


def test_nobody_is_paid_twice_for_a_month(world, enrolled, division):
    county, rows = enrolled
    roster_generate(actor=None, county=county, programme="dibao", month=OCT)
    # The same payee enrolled (wrongly) in a second county for another household (as its
    # proxy): that county's roster skips them.
    yuexiu = division("440104")
    Enrolment.objects.create(programme="dibao", household=world.households["y1"],
                             payee=world.persons["moved"][0], division=yuexiu, amount_fen=1,
                             valid_from=dt.date(2024, 9, 1), case=None)  # fmt: skip
    other = roster_generate(actor=None, county=yuexiu, programme="dibao", month=OCT)
    assert other.created == 0 and other.elsewhere == [world.persons["moved"][0].pk]
    # And the database refuses a second payment for the month outright.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(roster=other.roster, enrolment=rows[2], payee=rows[2].payee,
                               programme="dibao", month=OCT, amount_fen=1)  # fmt: skip


def test_months_outside_the_enrolment_are_not_paid(world, enrolled):
    county, rows = enrolled
    Enrolment.objects.filter(pk=rows[0].pk).update(valid_from=dt.date(2024, 11, 1))
    Enrolment.objects.filter(pk=rows[1].pk).update(valid_to=dt.date(2024, 10, 1))
    r = roster_generate(actor=None, county=county, programme="dibao", month=OCT)
    assert r.roster.rows == 1


def test_a_recorded_death_stops_the_payments(world, enrolled, actor):
    county, rows = enrolled
    nov = roster_generate(actor=None, county=county, programme="dibao", month=dt.date(2024, 11, 1))
    assert nov.roster.rows == 3
    payee = world.persons["t2"][0]
    person_death_record(actor=actor, person=payee, on=dt.date(2024, 10, 20), source="公安")
    rows[1].refresh_from_db()
    assert rows[1].state == "terminated" and rows[1].end_reason == "death"
    assert rows[1].valid_to == dt.date(2024, 11, 1)
    assert not Payment.objects.filter(payee=payee, month=dt.date(2024, 11, 1)).exists()
    again = roster_generate(
        actor=None, county=county, programme="dibao", month=dt.date(2024, 11, 1)
    )
    assert again.roster.rows == 2 and again.created == 0


def test_bank_results_and_reconciliation(world, enrolled, tmp_path):
    county, _rows = enrolled
    roster = roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster
    out = roster_export(roster, tmp_path / "bank.csv")
    lines = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert lines[0][:4] == ["序号", "户名", "证件类型", "证件号码"]
    assert lines[-2][0] == "合计" and lines[-2][5] == "3419.80"
    assert lines[-1] == ["校验码", roster.checksum, "", "", "", "", "SHA-256"]
    ids = [p.id_number for p in (world.persons["t1"][0], world.persons["t2"][0])]
    result = tmp_path / "result.csv"
    with result.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["证件号码", "金额", "结果", "失败原因"])
        w.writerow([ids[0], "2119.80", "成功", ""])
        w.writerow([ids[1], "800.00", "失败", "账户已销户"])
        w.writerow([ids[1][:-1] + "0", "1.00", "成功", ""])  # not on the roster
    got = bank_result_import(actor=None, roster=roster, path=result)
    assert (got.rows, got.paid, got.failed, len(got.unmatched)) == (3, 1, 1, 1)
    again = bank_result_import(actor=None, roster=roster, path=result)
    assert (again.paid, again.failed) == (1, 1)
    rec = roster_reconcile(roster)
    assert rec["paid"] == {"rows": 1, "total_fen": 211980}
    assert rec["failed"]["rows"] == 1 and rec["failures"] == [("丙一", "账户已销户")]
    assert rec["pending"]["rows"] == 1
    # A failed line stays on the roster when it is regenerated (the bank said so).
    roster_generate(actor=None, county=county, programme="dibao", month=OCT)
    assert Payment.objects.filter(roster=roster, status=PaymentStatus.FAILED).count() == 1


def test_a_township_sees_only_its_own_payees_on_the_county_roster(world, enrolled, client):
    from tests.world import login

    county, _ = enrolled
    roster = roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster
    login(client, world.users["town1"])  # 五山街道 440106001: t1 and "moved" live there, t2 not
    page = client.get(f"/assistance/rosters/{roster.pk}/").content.decode()
    assert world.persons["t1"][0].name in page
    assert world.persons["t2"][0].name not in page
    # Only county staff download the whole county's bank file.
    assert client.get(f"/assistance/rosters/{roster.pk}/download/").status_code == 404
    login(client, world.users["county1"])
    resp = client.get(f"/assistance/rosters/{roster.pk}/download/")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd")


def write_result(path, *rows):  # type: ignore[no-untyped-def]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["证件号码", "金额", "结果", "失败原因"])
        w.writerows(rows)
    return path


def test_bad_bank_rows_are_rejected_with_row_column_and_reason(world, enrolled, tmp_path):
    # given a bank file with a short row and amounts that are not numbers
    county, _rows = enrolled
    roster = roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster
    t1, t2 = world.persons["t1"][0].id_number, world.persons["t2"][0].id_number
    moved = world.persons["moved"][0].id_number
    path = write_result(
        tmp_path / "r.csv",
        [t1, "2119.80", "成功", ""],  # good
        [t2],  # short: no amount, no result
        [moved, "=cmd|' /C calc'!A0", "成功", ""],
        [t2, "NaN", "成功", ""],
        [t2, "Infinity", "成功", ""],
        [t2, "1e999999", "成功", ""],
        [t2, "9" * 5000, "成功", ""],
    )
    # when it is imported, the good row lands and every bad one is reported
    got = bank_result_import(actor=None, roster=roster, path=path)
    assert (got.rows, got.paid) == (7, 1)
    assert [(u["row"], u["column"]) for u in got.unmatched] == [(n, "金额") for n in range(3, 9)]
    assert all(u["reason"] and u["reason_en"] for u in got.unmatched)
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1


def test_the_csv_bank_file_guards_names_and_keeps_negative_amounts_numeric(
    world, enrolled, tmp_path
):
    county, _rows = enrolled
    payee = world.persons["t2"][0]
    type(payee).objects.filter(pk=payee.pk).update(name="=cmd|' /C calc'!A0")
    roster = roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster
    Payment.objects.filter(roster=roster, payee=payee).update(amount_fen=-1250)
    lines = list(csv.reader(roster_export(roster, tmp_path / "b.csv").open(encoding="utf-8-sig")))
    line = next(ln for ln in lines if ln[3] == payee.id_number)
    assert line[1] == "'=cmd|' /C calc'!A0"
    assert line[5] == "-12.50" and line[4].isdigit()
    xlsx = roster_export(roster, tmp_path / "b.xlsx")
    from openpyxl import load_workbook

    cells = [
        r for r in load_workbook(xlsx).active.iter_rows(values_only=True) if r[3] == payee.id_number
    ]
    assert cells[0][1] == "'=cmd|' /C calc'!A0" and float(cells[0][5]) == -12.5

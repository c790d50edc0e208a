"""Enrolment lifecycle and price-linkage subsidies."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from minzheng.assistance import enrolments as life
from minzheng.assistance.models import Enrolment, EnrolmentState, Payment, PaymentStatus
from minzheng.assistance.parameters import effective_rows, parameter_set, parameters_seed
from minzheng.assistance.payments import roster_generate
from minzheng.assistance.price import price_index_import, price_roster, subsidy_fen, trigger

OCT, NOV = dt.date(2024, 10, 1), dt.date(2024, 11, 1)


@pytest.fixture
def enrolment(world, division):
    parameters_seed()
    return Enrolment.objects.create(
        programme="dibao", household=world.households["t1"], payee=world.persons["t1"][0],
        division=division("440106"), amount_fen=100000, covered_persons=3,
        valid_from=dt.date(2024, 9, 1), next_review=dt.date(2025, 9, 1),
    )  # fmt: skip


def test_recompute_with_back_pay_settled_on_the_next_roster(enrolment, division):
    county = division("440106")
    oct_roster = roster_generate(actor=None, county=county, programme="dibao", month=OCT).roster
    Payment.objects.filter(roster=oct_roster).update(status=PaymentStatus.PAID)
    # A member's income fell: 1200.00 from October, which was already paid at 1000.00.
    change = life.enrolment_recompute(actor=None, enrolment=enrolment, amount_fen=120000,
                                      effective=dt.date(2024, 10, 15), reason="收入减少")  # fmt: skip
    assert change is not None and change.adjustment_fen == 20000
    assert life.outstanding(enrolment) == 20000
    nov = roster_generate(actor=None, county=county, programme="dibao", month=NOV)
    lines = dict(Payment.objects.filter(roster=nov.roster).values_list("kind", "amount_fen"))
    assert lines == {"regular": 120000, "adjust": 20000}
    assert life.outstanding(enrolment) == 0
    again = roster_generate(actor=None, county=county, programme="dibao", month=NOV)
    assert again.adjusted == 0 and Payment.objects.filter(roster=nov.roster).count() == 2
    # A lower amount recovers what was overpaid.
    Payment.objects.filter(roster=nov.roster).update(status=PaymentStatus.PAID)
    down = life.enrolment_recompute(actor=None, enrolment=enrolment, amount_fen=90000,
                                    effective=NOV, reason="就业增收")  # fmt: skip
    assert down is not None and down.adjustment_fen == -30000
    assert life.enrolment_recompute(actor=None, enrolment=enrolment, amount_fen=90000,
                                    effective=NOV, reason="同") is None  # fmt: skip


def test_gradual_exit_suspension_and_termination(enrolment):
    e = life.enrolment_gradual_exit(actor=None, enrolment=enrolment, on=dt.date(2024, 10, 10))
    assert e.state == EnrolmentState.GRADUAL_EXIT and e.exit_until == dt.date(2025, 4, 1)
    e = life.enrolment_suspend(actor=None, enrolment=e, reason="未按时复核")
    assert e.state == EnrolmentState.SUSPENDED
    e = life.enrolment_resume(actor=None, enrolment=e)
    assert e.state == EnrolmentState.GRADUAL_EXIT
    assert life.enrolments_expire(dt.date(2025, 3, 31)) == 0
    assert life.enrolments_expire(dt.date(2025, 4, 1)) == 1
    e.refresh_from_db()
    assert e.state == EnrolmentState.TERMINATED and e.end_reason == "exit_ended"
    assert e.valid_to == dt.date(2025, 4, 1)
    with pytest.raises(life.EnrolmentError):
        life.enrolment_suspend(actor=None, enrolment=e, reason="x")


def test_termination_needs_a_known_reason_and_drops_later_pending_payments(enrolment, division):
    roster_generate(actor=None, county=division("440106"), programme="dibao", month=NOV)
    with pytest.raises(life.EnrolmentError):
        life.enrolment_terminate(actor=None, enrolment=enrolment, reason="bored", on=OCT)
    life.enrolment_terminate(
        actor=None, enrolment=enrolment, reason="moved", on=dt.date(2024, 10, 20)
    )
    assert not Payment.objects.filter(enrolment=enrolment, month=NOV).exists()


def test_reviews_due(world, enrolment):
    assert life.reviews_due(world.users["county1"], dt.date(2025, 8, 31)) == []
    due = life.reviews_due(world.users["county1"], dt.date(2025, 9, 1))
    assert [e.pk for e in due] == [enrolment.pk]
    assert life.reviews_due(world.users["county2"], dt.date(2025, 9, 1)) == []
    life.review_done(actor=None, enrolment=enrolment, on=dt.date(2025, 9, 1))
    assert enrolment.next_review in (dt.date(2026, 3, 1), dt.date(2026, 9, 1))


def test_annual_standard_raise_previews_then_applies(enrolment):
    # The household (3 members, no income) gets standard × 3 under the gap method.
    parameter_set(actor=None, name="dibao_urban_fen", division_prefix="440106", value=100000,
                  valid_from=dt.date(2024, 1, 1))  # fmt: skip
    rows = [dict(r) for r in effective_rows()]
    rows.append({"name": "dibao_urban_fen", "division": "440106", "value": 110000,
                 "valid_from": dt.date(2025, 1, 1), "valid_to": None})  # fmt: skip
    for r in rows:
        if (
            r["name"] == "dibao_urban_fen"
            and r["division"] == "440106"
            and r["valid_to"] is None
            and r["valid_from"] == dt.date(2024, 1, 1)
        ):
            r["valid_to"] = dt.date(2025, 1, 1)
    lines = life.standard_raise_preview(prefix="440106", programme="dibao", rows_after=rows,
                                        on=dt.date(2025, 1, 1))  # fmt: skip
    assert [(ln.old_fen, ln.new_fen) for ln in lines] == [(100000, 330000)]
    assert life.standard_raise_apply(actor=None, lines=lines, effective=dt.date(2025, 1, 1),
                                     reason="2025 年标准调整") == 1  # fmt: skip
    enrolment.refresh_from_db()
    assert enrolment.amount_fen == 330000


def test_price_linkage(world, enrolment, division, tmp_path):
    county = division("440106")
    path = tmp_path / "cpi.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["区划", "月份", "CPI同比", "食品CPI同比"])
        w.writerow(["44", "2024-10", "3.4", "6.3"])  # food CPI triggers
        w.writerow(["44", "2024-11", "2.1", "4.0"])  # nothing triggers
        w.writerow(["44x", "2024-12", "1", "1"])  # bad division
    got = price_index_import(path, source="广东省统计局")
    assert (got.rows, got.saved, len(got.errors or [])) == (3, 2, 1)
    why = trigger(county, OCT)
    assert why.triggered and why.rise_permille == 63
    # The standard here is the national default 706.60: × 6.3% = 44.5158 → 44.52 a person.
    assert subsidy_fen(70660, 63, 0) == 4452
    roster, _ = price_roster(actor=None, county=county, month=OCT)
    assert roster.rows == 1 and roster.total_fen == 3 * 4452
    again, _ = price_roster(actor=None, county=county, month=OCT)
    assert again.pk == roster.pk and again.total_fen == roster.total_fen
    nov, why_not = price_roster(actor=None, county=county, month=NOV)
    assert not why_not.triggered and nov.rows == 0
    # A local minimum of 50 yuan lifts the amount.
    assert subsidy_fen(70660, 63, 5000) == 5000


def test_bad_price_rows_are_rejected_with_row_column_and_reason(db, tmp_path):
    path = tmp_path / "cpi.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["区划", "月份", "CPI同比", "食品CPI同比"])
        w.writerow(["44", "2024-10", "3.4", "6.3"])  # good
        w.writerow(["44", "2024-11", "Infinity", "1"])
        w.writerow(["44", "2024-12", "1e999999", "1"])
        w.writerow(["44", "2025-01", "1", "9" * 1_000_000])
        w.writerow(["44", "2025-02", "1", "-80"])  # a fall of 80 %: not an index
        w.writerow(["٤٤", "2025-03", "1", "1"])  # not ASCII digits
        w.writerow(["44", "2025-04"])  # short
    got = price_index_import(path, source="test")
    assert (got.rows, got.saved) == (7, 1)
    assert [(e["row"], e["column"]) for e in got.errors or []] == [
        (3, "CPI同比"),
        (4, "CPI同比"),
        (5, "食品CPI同比"),
        (6, "食品CPI同比"),
        (7, "区划"),
        (8, "CPI同比"),
    ]
    assert all(e["message"] and e["message_en"] for e in got.errors or [])

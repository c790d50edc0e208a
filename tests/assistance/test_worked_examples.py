"""Worked examples: one per rule and method, every number spelled out.

Each example states its parameters in the document (``parameters`` overrides the stored
values), so the arithmetic in the comments is the whole story. Money is yuan in the
document; amounts come back as yuan (two decimals) and as exact fen.
"""

from __future__ import annotations

from typing import Any

import pytest

from minzheng.assistance.assess import AssessError, assess

STANDARD = {"dibao_standard": 800}


def household(*members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    params = {**STANDARD, **extra.pop("parameters", {})}
    return {
        "division": "440106",
        "date": "2024-07-01",
        "urban": True,
        "members": list(members),
        "parameters": params,
        **extra,
    }


def adult(income: float = 0, **kw: Any) -> dict[str, Any]:
    return {"birth_date": "1980-01-01", "monthly_income": income, **kw}


def programme(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return assess(doc)["programmes"][name]


def reason(answer: dict[str, Any], test: str) -> dict[str, Any]:
    return next(r for r in answer["reasons"] if r["test"] == test)


# --- 低保: gap method --------------------------------------------------------------------------
def test_gap_method_three_members():
    # 500 + 300 + 0 = 800 yuan a month for 3 people: 266.67 per person < 800.
    # Gap = (800 − 800/3) × 3 = 2400 − 800 = 1600.00.
    doc = household(adult(500), adult(300), {"birth_date": "2012-01-01", "relationship": "子"})
    d = programme(doc, "dibao")
    assert d["eligible"] is True
    assert d["monthly_amount"] == 1600.00 and d["monthly_amount_fen"] == 160000
    assert d["covered_persons"] == 3 and d["method"] == "gap"
    assert reason(d, "income_below")["text"] == (
        "家庭人均月收入 266.67 元 < 当地低保标准 800.00 元 ✓（家庭月收入 800.00 元，3 人）"
    )


def test_gap_method_keeps_per_capita_income_exact():
    # 1000 / 3 = 333.333… per person. Rounding it first (333.33) would give
    # (800 − 333.33) × 3 = 1400.01; exact arithmetic gives 2400 − 1000 = 1400.00.
    d = programme(household(adult(1000), adult(0), adult(0)), "dibao")
    assert d["monthly_amount_fen"] == 140000


def test_exactly_at_the_standard_is_not_below_it():
    # 1600 for 2 people = 800.00 per person: not below 800.
    d = programme(household(adult(1600), adult(0)), "dibao")
    assert d["eligible"] is False and d["monthly_amount_fen"] == 0
    assert reason(d, "income_below")["passed"] is False


def test_rural_yearly_standard_is_divided_by_twelve():
    # 6298.80 yuan a year → 524.90 a month; one person with 100 → 424.90.
    doc = household(adult(100), urban=False, parameters={"dibao_standard_yearly": "6298.80"})
    doc["parameters"].pop("dibao_standard")
    d = programme(doc, "dibao")
    assert d["monthly_amount_fen"] == 42490
    assert d["values"]["standard_fen"] == 52490


def test_excluded_income_kinds_do_not_count_unless_the_region_counts_them():
    # 600 wage + 300 preferential-care payment (优抚金, not counted by default):
    # counted income 600 → gap 200. When a region counts it: 900 > 800, not eligible.
    member = {"birth_date": "1980-01-01", "incomes": {"wage": 600, "care": 300}}
    assert programme(household(member), "dibao")["monthly_amount_fen"] == 20000
    counted = programme(household(member, parameters={"count_care": 1}), "dibao")
    assert counted["eligible"] is False


def test_work_cost_deduction_lowers_counted_income():
    # 700 wage − 100 work-cost deduction = 600 counted → gap 200.
    d = programme(household(adult(incomes={"wage": 700}), parameters={"deduct_work_fen": 100}),
                  "dibao")  # fmt: skip
    assert d["monthly_amount_fen"] == 20000


# --- 低保: tiered method and floor --------------------------------------------------------------
TIERS = {"benefit_method": "tiered"}  # defaults: ≤25% → 100%, ≤50% → 75%, ≤75% → 50%, ≤100% → 25%


def test_tiered_method():
    # 2 people, 500 yuan: 250 per person = 31.25% of 800 → tier 2 (≤ 50%) pays 75%:
    # 0.75 × 800 × 2 = 1200.00 (the gap method would pay 1600 − 500 = 1100.00).
    d = programme(household(adult(500), adult(0), parameters=TIERS), "dibao")
    assert d["method"] == "tiered" and d["monthly_amount_fen"] == 120000


def test_tiered_method_boundary_belongs_to_the_lower_tier():
    # 400 for 2 people = 200 per person = exactly 25% → tier 1 pays the full standard: 1600.00.
    d = programme(household(adult(400), adult(0), parameters=TIERS), "dibao")
    assert d["monthly_amount_fen"] == 160000
    # 700 for 2 = 350 per person = 43.75% → tier 2: 1200.00; 1300 → 81.25% → tier 4: 400.00.
    assert (
        programme(household(adult(700), adult(0), parameters=TIERS), "dibao")["monthly_amount_fen"]
        == 120000
    )
    assert (
        programme(household(adult(1300), adult(0), parameters=TIERS), "dibao")["monthly_amount_fen"]
        == 40000
    )


def test_floor_share_of_the_standard():
    # One person with 750: gap 50.00, but a 20% floor pays 0.2 × 800 = 160.00.
    d = programme(household(adult(750), parameters={"floor_share": 0.2}), "dibao")
    assert d["monthly_amount_fen"] == 16000
    # Without a floor (the national default) the gap is paid: 50.00.
    assert programme(household(adult(750)), "dibao")["monthly_amount_fen"] == 5000


def test_rounding_to_the_yuan_is_half_up():
    # Standard 800.50, one person without income: 800.50 → 801 when paid in whole yuan.
    doc = household(adult(0), parameters={"dibao_standard": "800.50", "rounding_fen": 1})
    assert programme(doc, "dibao")["monthly_amount_fen"] == 80050
    doc["parameters"]["rounding_fen"] = 100  # the unit in fen: 1 fen, 10 jiao or 100 yuan
    assert programme(doc, "dibao")["monthly_amount_fen"] == 80100


# --- 低保: single-person inclusion -----------------------------------------------------------
SEVERE = {"category": "肢体", "grade": 1}


def test_single_person_inclusion_for_a_severely_disabled_member_of_a_marginal_family():
    # 3 people, 3000 yuan: 1000 per person — not below 800, below the marginal line 1200.
    # The grade-1 disabled member (own income 0) is covered alone: 800 − 0 = 800.00.
    doc = household(adult(3000), adult(0), adult(0, disability=SEVERE))
    d = programme(doc, "dibao")
    assert d["eligible"] is True and d["covered_persons"] == 1
    assert d["monthly_amount_fen"] == 80000
    assert reason(d, "single_person")["passed"] is True
    assert programme(doc, "bianyuan")["eligible"] is True  # the family stays marginal


def test_single_person_inclusion_counts_the_members_own_income():
    # A seriously ill member with 300 of their own: 800 − 300 = 500.00.
    doc = household(adult(2700), adult(300, serious_illness=True), adult(0))
    assert programme(doc, "dibao")["monthly_amount_fen"] == 50000


def test_single_person_inclusion_needs_a_marginal_family_and_the_region_allowing_it():
    # 1300 per person is above the marginal line (1200): no single-person inclusion.
    assert (
        programme(household(adult(2600), adult(0, disability=SEVERE)), "dibao")["eligible"] is False
    )
    off = household(adult(3000), adult(0), adult(0, disability=SEVERE),
                    parameters={"single_person_inclusion": 0})  # fmt: skip
    assert programme(off, "dibao")["eligible"] is False


# --- 特困 ----------------------------------------------------------------------------------
CARE = {
    "care_self_central_fen": 100, "care_self_dispersed_fen": 50,
    "care_partial_central_fen": 400, "care_partial_dispersed_fen": 300,
    "care_full_central_fen": 1000, "care_full_dispersed_fen": 800,
}  # fmt: skip


@pytest.mark.parametrize(
    ("failed", "mode", "amount"),
    [
        # basic = 1.3 × 800 = 1040.00, plus the care standard of the tier and mode
        (0, "dispersed", 1040 + 50),  # self-reliant
        (0, "centralised", 1040 + 100),
        (2, "dispersed", 1040 + 300),  # 1–3 activities failed: partly lost
        (2, "centralised", 1040 + 400),
        (5, "dispersed", 1040 + 800),  # ≥ 4 failed: fully lost
        (5, "centralised", 1040 + 1000),
    ],
)
def test_tekun_basic_plus_care(failed, mode, amount):
    elder = {"birth_date": "1950-01-01", "self_care_failed": failed}
    doc = household(elder, care_mode=mode, parameters=CARE)
    t = programme(doc, "tekun")
    assert t["eligible"] is True
    assert t["monthly_amount_fen"] == amount * 100
    assert t["members"][0]["values"]["basic_fen"] == 104000


def test_tekun_needs_no_supporter_and_no_work_capacity():
    elder = {"birth_date": "1950-01-01"}
    # A supporter able to support (declared): not tekun.
    assert programme(household(elder, supporters_able=True), "tekun")["eligible"] is False
    # An able-bodied son of 40 living with her: not tekun.
    son = adult(0, birth_date="1984-01-01", relationship="子")
    t = programme(household(elder, son), "tekun")
    assert t["eligible"] is False
    # A 45-year-old with a grade-2 physical disability and no supporter: tekun.
    t = programme(household(adult(0, disability={"category": "肢体", "grade": 2})), "tekun")
    assert t["eligible"] is True
    # A 45-year-old with a grade-3 physical disability can work: not tekun.
    t = programme(household(adult(0, disability={"category": "肢体", "grade": 3})), "tekun")
    assert t["eligible"] is False and reason(t, "no_work_capacity")["passed"] is False


def test_tekun_own_income_must_be_below_the_standard():
    elder = {"birth_date": "1950-01-01", "monthly_income": 800}  # 800 is not below 800
    t = programme(household(elder), "tekun")
    assert t["eligible"] is False
    assert reason(t, "no_income")["text"] == "本人月收入 800.00 元 ≥ 当地低保标准 800.00 元 ✗"


# --- assets ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("assets", "test", "passes"),
    [
        # limit = 24 months × 800 × 2 people = 38,400.00
        ({"financial": "38400.00"}, "financial_ok", True),
        ({"financial": "38400.01"}, "financial_ok", False),
        ({"homes": 1}, "homes_ok", True),
        ({"homes": 2}, "homes_ok", False),
        ({"vehicles": 1}, "vehicles_ok", False),
        ({"business": True}, "business_ok", False),
    ],
)
def test_asset_tests(assets, test, passes):
    d = programme(household(adult(0), adult(0), assets=assets), "dibao")
    assert reason(d, test)["passed"] is passes
    assert d["eligible"] is passes


def test_asset_failure_is_explained_with_its_numbers():
    d = programme(household(adult(0), adult(0), assets={"financial": 50000}), "dibao")
    assert reason(d, "financial_ok")["text"] == (
        "家庭金融资产 50000.00 元 > 上限 38400.00 元（24 个月标准 × 2 人）✗"
    )


# --- 低保边缘 ------------------------------------------------------------------------------
def test_marginal_at_1_4_and_1_6_times_the_standard():
    # 2 people: 2240 = 1120 per person = 1.4 × 800 < 1200 → marginal.
    assert programme(household(adult(2240), adult(0)), "bianyuan")["eligible"] is True
    # 2560 = 1280 per person = 1.6 × 800 ≥ 1200 → not marginal.
    b = programme(household(adult(2560), adult(0)), "bianyuan")
    assert b["eligible"] is False
    assert reason(b, "income_below_marginal")["text"] == (
        "家庭人均月收入 1280.00 元 ≥ 低保边缘线 1200.00 元（低保标准的 150%）✗"
    )
    # A city with k = 2.0: the line is 1600, so 1.6 × is marginal there.
    doc = household(adult(2560), adult(0), parameters={"marginal_multiplier": 2.0})
    assert programme(doc, "bianyuan")["eligible"] is True


def test_a_dibao_household_is_not_marginal():
    assert programme(household(adult(500)), "bianyuan")["eligible"] is False


# --- 刚性支出 ------------------------------------------------------------------------------
def test_rigid_expenditure_ratio_both_sides():
    # 2 people, 3000 a month (1500 per person, above the 1200 marginal line);
    # 36,000 a year = 18,000 per person < last year's disposable income 51,821.
    # 50% of 36,000 = 18,000: spending must be above it.
    def doc(medical: str) -> dict[str, Any]:
        return household(adult(3000, annual_medical_expense=medical), adult(0),
                         parameters={"disposable_income": 51821})  # fmt: skip

    above = programme(doc("18000.01"), "gangxing")
    assert above["eligible"] is True
    assert reason(above, "rigid_heavy")["text"] == (
        "医疗 18000.01 元 + 教育 0.00 元 = 18000.01 元 > 家庭年收入 36000.00 元的 50% ✓"
    )
    assert programme(doc("18000.00"), "gangxing")["eligible"] is False
    # A region with r = 60%: 18,000.01 is no longer enough.
    higher = doc("18000.01")
    higher["parameters"]["rigid_ratio"] = 0.6
    assert programme(higher, "gangxing")["eligible"] is False


def test_rigid_expenditure_needs_income_below_the_disposable_income():
    # 5000 a month for one person = 60,000 a year ≥ 51,821.
    d = household(adult(5000, annual_medical_expense=50000),
                  parameters={"disposable_income": 51821})  # fmt: skip
    g = programme(d, "gangxing")
    assert g["eligible"] is False and reason(g, "below_disposable")["passed"] is False


# --- 临时救助 ------------------------------------------------------------------------------
def test_emergency_pays_a_small_amount_first_whatever_the_income():
    # Emergency: capped at 1 month of the standard (800.00); need 2000; income high.
    doc = household(adult(5000), emergency={"type": "急难型", "need": 2000})
    t = programme(doc, "temporary")
    assert t["eligible"] is True and t["monthly_amount_fen"] == 80000 and t["one_off"] is True


def test_expenditure_type_needs_hardship_and_is_capped():
    # Expenditure: household below the marginal line; cap 10 × 800 = 8000.00.
    doc = household(adult(500), emergency={"type": "expenditure", "need": 5000})
    assert programme(doc, "temporary")["monthly_amount_fen"] == 500000
    doc["emergency"]["need"] = 20000
    assert programme(doc, "temporary")["monthly_amount_fen"] == 800000
    rich = household(adult(5000), emergency={"type": "expenditure", "need": 5000})
    assert programme(rich, "temporary")["eligible"] is False


def test_no_emergency_no_temporary_assistance():
    t = programme(household(adult(0)), "temporary")
    assert t["eligible"] is False and reason(t, "has_emergency")["passed"] is False


# --- the document ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"division": "44010"}, "division"),
        ({"members": []}, "members"),
        ({"date": "2024-13-01"}, "date"),
        ({"members": [{"monthly_income": "12.345"}]}, "members[0].monthly_income"),
        ({"members": [{"monthly_income": -1}]}, "members[0].monthly_income"),
        ({"members": [{"self_care_failed": 7}]}, "members[0].self_care_failed"),
        (
            {"members": [{"disability": {"category": "x", "grade": 1}}]},
            "members[0].disability.category",
        ),
        ({"members": [{"id_number": "440106199001011234"}]}, "members[0].id_number"),
        ({"members": [{"salary": 1}]}, "members[0].salary"),
        ({"care_mode": "home"}, "care_mode"),
        ({"emergency": {"type": "flood"}}, "emergency.type"),
        ({"parameters": {"dibao_standard": "abc"}}, "parameters.dibao_standard"),
        ({"parameters": {"no_such": 1}}, "parameters.no_such"),
    ],
)
def test_bad_documents_name_the_field(change, field):
    doc = {**household(adult(0)), **change}
    with pytest.raises(AssessError) as err:
        assess(doc)
    assert err.value.path == field
    assert err.value.message and err.value.message_en


def test_birth_date_and_sex_come_from_the_id_number():
    import datetime as dt

    from minzheng.identity.resident_id import make_id

    number = make_id("440106", dt.date(1950, 3, 1), 12)
    t = programme(household({"id_number": number}), "tekun")
    assert t["members"][0]["values"]["age"] == 74
    assert t["eligible"] is True

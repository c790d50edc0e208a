"""``household_assess``: the calculator with stored parameters and the division list."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.assistance.assess import AssessError
from minzheng.assistance.parameters import parameter_set
from minzheng.assistance.services import household_assess
from tests.assistance.conftest import household

D = dt.date


def dibao(answer) -> int:  # type: ignore[no-untyped-def]
    return answer["programmes"]["dibao"]["monthly_amount_fen"]


def put(name: str, prefix: str, value: int, start: dt.date) -> None:
    parameter_set(actor=None, name=name, division_prefix=prefix, value=value, valid_from=start)


def test_a_stored_county_standard_changes_the_amount_and_says_where_it_came_from(seeded):
    before = household_assess(household())
    assert dibao(before) == 70660 - 10000  # national 706.60 − income 100.00
    assert before["parameters"]["dibao_urban_fen"]["division_prefix"] == ""
    put("dibao_urban_fen", "440106", 120000, D(2024, 1, 1))
    after = household_assess(household())
    assert dibao(after) == 120000 - 10000  # Tianhe's 1200.00 − 100.00
    assert after["programmes"]["dibao"]["values"]["standard_fen"] == 120000
    used = after["parameters"]["dibao_urban_fen"]
    assert used["division_prefix"] == "440106"
    assert (used["value"], used["display"], used["valid_from"]) == (120000, "1200.00", "2024-01-01")
    assert after["division_name"] == "天河区" and after["notes"] == []


@pytest.mark.parametrize(
    ("day", "code", "amount", "prefix"),
    [
        ("2023-12-31", "440106", 60660, ""),
        ("2024-01-01", "440106", 85000, "44"),
        ("2024-06-30", "440106", 85000, "44"),
        ("2024-07-01", "440106", 110000, "440106"),
        ("2024-07-01", "440106001", 110000, "440106"),
        ("2024-07-01", "440104", 85000, "44"),
        ("2024-07-01", "110105", 60660, ""),
    ],
)
def test_the_value_in_force_for_the_division_on_the_date_is_used(ladder, day, code, amount, prefix):
    answer = household_assess(household(date=day, division=code))
    assert dibao(answer) == amount
    assert answer["parameters"]["dibao_urban_fen"]["division_prefix"] == prefix


def test_other_stored_parameters_are_used_too(ladder):
    put("homes_max", "440106", 0, D(2024, 1, 1))
    answer = household_assess(household(assets={"homes": 1}))
    d = answer["programmes"]["dibao"]
    assert d["eligible"] is False and d["monthly_amount_fen"] == 0
    homes = next(r for r in d["reasons"] if r["test"] == "homes_ok")
    assert homes["passed"] is False
    assert answer["parameters"]["homes_max"]["division_prefix"] == "440106"
    elsewhere = household_assess(household(assets={"homes": 1}, division="440104"))
    assert elsewhere["programmes"]["dibao"]["eligible"] is True


def test_the_rural_standard_is_regional_too(ladder):
    put("dibao_rural_fen", "440106", 100000, D(2024, 1, 1))
    answer = household_assess(household(urban=False))
    assert dibao(answer) == 100000 - 10000
    assert answer["parameters"]["dibao_rural_fen"]["division_prefix"] == "440106"


def test_the_document_overrides_the_stored_standard(ladder):
    answer = household_assess(household(parameters={"dibao_urban_fen": "800"}))
    assert dibao(answer) == 80000 - 10000
    assert answer["parameters"]["dibao_urban_fen"]["overridden"] is True
    friendly = household_assess(household(parameters={"dibao_standard": 800}))
    assert dibao(friendly) == 70000


def test_a_friendly_override_is_marked_on_the_parameter_it_sets(ladder):
    answer = household_assess(household(parameters={"dibao_standard": 800}))
    assert answer["parameters"]["dibao_urban_fen"].get("overridden") is True


def test_a_retired_code_follows_its_successor_and_uses_its_values(ladder):
    put("dibao_urban_fen", "440103", 100000, D(2024, 1, 1))
    answer = household_assess(household(division="440107"))  # 芳村区 → 荔湾区 (2005)
    assert (answer["division"], answer["division_name"]) == ("440103", "荔湾区")
    assert len(answer["notes"]) == 1 and "440107" in answer["notes"][0]
    assert dibao(answer) == 100000 - 10000
    assert answer["parameters"]["dibao_urban_fen"]["division_prefix"] == "440103"


@pytest.mark.parametrize("code", ["999999", "449999", "440106999"])
def test_an_unknown_division_is_an_assess_error_on_the_division_field(seeded, code):
    with pytest.raises(AssessError) as caught:
        household_assess(household(division=code))
    assert caught.value.path == "division"
    assert code in caught.value.message and "unknown division" in caught.value.message_en


def test_a_bad_document_is_an_assess_error_naming_the_field(seeded):
    with pytest.raises(AssessError) as caught:
        household_assess(household(members=[{"birth_date": "1980-02-30"}]))
    assert caught.value.path == "members[0].birth_date"
    with pytest.raises(AssessError) as caught:
        household_assess(["not", "an", "object"])
    assert caught.value.path == "$"


def test_with_no_stored_rows_the_catalogue_defaults_apply(db):
    answer = household_assess(household())
    assert dibao(answer) == 60660
    assert answer["parameters"]["dibao_urban_fen"]["note"] == "目录默认值 catalogue default"


def test_every_parameter_the_rules_use_is_listed(ladder):
    listed = household_assess(household())["parameters"]
    assert {"dibao_urban_fen", "dibao_rural_fen", "homes_max", "benefit_method"} <= set(listed)
    for name, entry in listed.items():
        assert entry["name"] == name
        assert {"value", "division_prefix", "valid_from", "unit"} <= set(entry), name


def test_a_single_stored_row_does_not_drop_the_catalogue_defaults(db):
    put("dibao_urban_fen", "440106", 120000, D(2024, 1, 1))
    answer = household_assess(household())
    assert dibao(answer) == 120000 - 10000


def test_an_infinite_override_is_an_assess_error(seeded):
    with pytest.raises(AssessError) as caught:
        household_assess(household(parameters={"dibao_standard": "Infinity"}))
    assert caught.value.path == "parameters.dibao_standard"

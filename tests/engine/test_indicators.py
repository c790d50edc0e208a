"""Indicators: GROUP BY ROLLUP over the division levels, in the same language as the rules."""

from __future__ import annotations

from collections import Counter

from minzheng.engine import run

from .conftest import AS_OF, assert_same


def age_on(birth, day) -> int:  # type: ignore[no-untyped-def]
    return day.year - birth.year - ((birth.month, birth.day) > (day.month, day.day))


def test_person_indicators_roll_up_over_divisions(rulesets, population, runner, reference):
    result = run(rulesets["elderly"], population, as_of=AS_OF, runner=runner)
    assert_same(result, reference["elderly"])
    codes = dict(
        zip(
            population["division"]["division_sk"].to_pylist(),
            population["division"]["code"].to_pylist(),
            strict=True,
        )
    )
    persons = population["person"].to_pylist()
    expected: Counter = Counter()
    for p in persons:
        code = codes[p["hukou_division_sk"]]
        old = age_on(p["birth_date"], AS_OF) >= 60
        for level, digits in ((0, 0), (1, 2), (2, 4), (3, 6), (4, 9)):
            expected[(level, code[:digits], p["sex"])] += old
    got = {
        (r["level"], r["division_code"], r["sex"]): r["value"]
        for r in result.indicators["elderly_persons"].to_pylist()
    }
    assert got == {k: v for k, v in expected.items()}
    totals = {
        (r["level"], r["division_code"]): r["value"]
        for r in result.indicators["persons"].to_pylist()
    }
    assert totals[(0, "")] == len(persons)
    for level in (1, 2, 3, 4):  # every level adds up to the nation
        assert sum(v for (lv, _), v in totals.items() if lv == level) == len(persons)


def test_household_indicators_count_and_sum_outputs(rulesets, parameters, population, reference):
    result = reference["dibao"]
    flagged = result.flagged()
    by_level = {
        (r["level"], r["division_code"]): r["value"]
        for r in result.indicators["gap_fen"].to_pylist()
    }
    assert by_level[(0, "")] == sum(flagged["amount_fen"].to_pylist())
    below = result.indicators["households_below"].to_pylist()
    assert sum(r["value"] for r in below if r["level"] == 0) == flagged.num_rows
    warnings = reference["medical_burden"].indicators["warnings"].to_pylist()
    assert {r["level"] for r in warnings} == {0}  # rollup: false
    assert sum(r["value"] for r in warnings) == reference["medical_burden"].flagged().num_rows

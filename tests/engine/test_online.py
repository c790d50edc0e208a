"""Online evaluation: one household in-process, the batch's SQL and the batch's sentences."""

from __future__ import annotations

import os
import random

import pytest

from minzheng.engine.online import HouseholdIndex, Online

from .conftest import AS_OF

# The acceptance figure is 10,000 households (bench/bench_engine_online.py checks that many);
# the suite checks 2,000 to stay quick. MINZHENG_ENGINE_ONLINE_N overrides.
SAMPLE = int(os.environ.get("MINZHENG_ENGINE_ONLINE_N", "2000"))


@pytest.fixture(scope="module")
def index(population):  # type: ignore[no-untyped-def]
    return HouseholdIndex(population)


@pytest.mark.parametrize("name", ["dibao", "medical_burden"])
def test_online_matches_batch_for_random_households(
    rulesets, parameters, population, reference, index, name
):
    batch = reference[name]
    documents = dict(
        zip(batch.table["subject_sk"].to_pylist(), batch.explanations().to_pylist(), strict=True)
    )
    flags = dict(
        zip(batch.table["subject_sk"].to_pylist(), batch.table["flag"].to_pylist(), strict=True)
    )
    online = Online(
        rulesets[name], as_of=AS_OF, division=population["division"], parameter=parameters
    )
    picks = random.Random(name).choices(sorted(documents), k=SAMPLE)
    for sk in picks:
        found = online.household(index.household(sk))
        assert found is not None and found.subject_sk == sk
        assert found.flag is flags[sk]
        assert found.document == documents[sk]
    online.close()  # speed (target ≤ 20 ms a household) is measured by bench_engine_online.py


def test_every_condition_comes_back_with_its_sentence(rulesets, parameters, population, index):
    online = Online(
        rulesets["dibao"], as_of=AS_OF, division=population["division"], parameter=parameters
    )
    found = online.household(index.household(1))
    assert found is not None
    assert [c.name for c in found.conditions] == ["below_standard", "has_members"]
    below = found.conditions[0]
    assert below.title == "人均收入低于低保标准" and below.result is found.flag
    members = found.values["members"]
    assert f"、{members} 人" in (below.text or "")
    assert found.values["household_income_fen"] >= 0
    assert online.household(index.household(10**9)) is None  # no such household: no rows


def test_a_household_that_is_not_in_any_snapshot(rulesets, parameters, population):
    import pyarrow as pa

    from minzheng.engine import catalog

    online = Online(
        rulesets["dibao"], as_of=AS_OF, division=population["division"], parameter=parameters
    )
    division = (
        population["division"]
        .filter(pa.compute.equal(population["division"]["level"], 4))[0][0]
        .as_py()
    )
    household = pa.Table.from_pylist(
        [
            {
                "household_sk": -1,
                "hukou_division_sk": division,
                "residence_division_sk": division,
                "urban": True,
            }
        ],
        schema=catalog.HOUSEHOLD.arrow_schema(),
    )
    person = pa.Table.from_pylist(
        [{"person_sk": -1, "household_sk": -1, "hukou_division_sk": division}],
        schema=catalog.PERSON.arrow_schema(),
    )
    income = pa.Table.from_pylist(
        [{"person_sk": -1, "kind": "wage", "monthly_fen": 0}], schema=catalog.INCOME.arrow_schema()
    )
    found = online.household({"household": household, "person": person, "income": income})
    assert found is not None and found.flag is True and found.severity == "high"
    assert found.amount_fen == found.values["dibao_standard_fen"]

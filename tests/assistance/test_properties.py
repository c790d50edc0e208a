"""Properties of the assistance rules, over generated households (hypothesis).

* more income never raises a gap-method benefit;
* no benefit is ever negative, whatever the method, floor and rounding;
* the online check (one household) and the batch run (many at once) agree exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.assistance.assess import PROGRAMMES, assess, parse, tables
from minzheng.assistance.batch import eligibility_batch
from minzheng.assistance.catalogue import default_rows, engine_table

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

money = st.integers(min_value=0, max_value=500_000).map(lambda fen: f"{fen / 100:.2f}")
disability = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"category": st.sampled_from(["视力", "肢体", "智力", "精神"]), "grade": st.integers(1, 4)}
    ),
)
member = st.fixed_dictionaries(
    {
        "birth_date": st.dates(dt.date(1930, 1, 1), dt.date(2023, 12, 31)).map(str),
        "monthly_income": money,
    },
    optional={
        "disability": disability,
        "self_care_failed": st.integers(0, 6),
        "serious_illness": st.booleans(),
        "labour_capacity": st.sampled_from(["full", "partial", "none"]),
        "annual_medical_expense": money,
    },
)
document = st.fixed_dictionaries(
    {
        "division": st.sampled_from(["440106", "440104", "4401", "110101"]),
        "date": st.just("2024-07-01"),
        "urban": st.booleans(),
        "members": st.lists(member, min_size=1, max_size=5),
        "assets": st.fixed_dictionaries(
            {"financial": money, "homes": st.integers(0, 2), "vehicles": st.integers(0, 1)}
        ),
        "supporters_able": st.booleans(),
        "care_mode": st.sampled_from(["centralised", "dispersed"]),
        "emergency": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"type": st.sampled_from(["emergency", "expenditure"]), "need": money}
            ),
        ),
        "parameters": st.fixed_dictionaries(
            {
                "dibao_standard": st.integers(300, 2000),
                "benefit_method": st.sampled_from(["gap", "tiered"]),
                "floor_share": st.sampled_from([0, 0.1, 0.2]),
                "rounding_fen": st.sampled_from([1, 10, 100]),
            }
        ),
    }
)


@FAST
@given(doc=document, extra=st.integers(1, 100_000))
def test_more_income_never_raises_a_gap_benefit(doc: dict[str, Any], extra: int):
    doc["parameters"] = {**doc["parameters"], "benefit_method": "gap", "rounding_fen": 1}
    before = assess(doc)["programmes"]["dibao"]["monthly_amount_fen"]
    richer = {**doc, "members": [dict(m) for m in doc["members"]]}
    first = richer["members"][0]
    first["monthly_income"] = f"{float(first['monthly_income']) + extra / 100:.2f}"
    after = assess(richer)["programmes"]["dibao"]["monthly_amount_fen"]
    assert after <= before


@FAST
@given(doc=document)
def test_benefits_are_never_negative_and_zero_when_ineligible(doc: dict[str, Any]):
    for name, answer in assess(doc)["programmes"].items():
        assert answer["monthly_amount_fen"] >= 0, name
        if not answer["eligible"]:
            assert answer["monthly_amount_fen"] == 0, name
        else:
            assert all(r["text"] for r in answer["reasons"]), name


def _merged(docs: list[dict[str, Any]]) -> tuple[pa.Table, dict[str, pa.Table]]:
    """Several households' tables as one snapshot: keys renumbered, divisions unified."""
    from minzheng.engine.synthetic import division_table

    households = [parse(d) for d in docs]
    division, sk = division_table([h.division for h in households])
    parts: dict[str, list[pa.Table]] = {}
    for n, hh in enumerate(households):
        own_division, own = tables(hh)
        own_code = own_division.column("code").to_pylist()
        remap = {
            own_sk: sk[code]
            for own_sk, code in zip(
                own_division.column("division_sk").to_pylist(), own_code, strict=True
            )
        }
        for name, t in own.items():
            cols = {}
            for c in t.column_names:
                col = t.column(c)
                if c == "household_sk":
                    col = pa.array([n + 1] * t.num_rows, pa.int64())
                elif c in ("person_sk", "head_sk"):
                    col = pa.array(
                        [None if v is None else (n + 1) * 100 + v for v in col.to_pylist()],
                        pa.int64(),
                    )
                elif c.endswith("division_sk"):
                    col = pa.array([remap[v] for v in col.to_pylist()], pa.int64())
                cols[c] = col
            parts.setdefault(name, []).append(pa.table(cols, schema=t.schema))
    return division, {n: pa.concat_tables(ts) for n, ts in parts.items()}


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(document, min_size=2, max_size=6))
def test_online_check_and_batch_run_agree(docs: list[dict[str, Any]]):
    # One parameter set for the whole batch: the first document's overrides.
    common = docs[0]["parameters"]
    docs = [{**d, "parameters": common} for d in docs]
    division, merged = _merged(docs)
    rows = [r for r in default_rows()]
    params = parse(docs[0]).overrides
    rows = [r for r in rows if r["name"] not in params] + [
        {"name": n, "division": "", "value": v, "valid_from": dt.date(1900, 1, 1), "valid_to": None}
        for n, v in params.items()
    ]
    batch = eligibility_batch(
        {**merged, "division": division},
        as_of=dt.date(2024, 7, 1),
        parameter=engine_table(rows),
        indicators=False,
    )
    for n, doc in enumerate(docs):
        online = assess(doc)["programmes"]
        for name in PROGRAMMES:
            table = batch[name].table
            if name == "tekun":
                keys = [(n + 1) * 100 + i + 1 for i in range(len(doc["members"]))]
            else:
                keys = [n + 1]
            got = table.filter(pa.compute.is_in(table["subject_sk"], pa.array(keys)))
            amounts = sum(
                a
                for a, f in zip(got["amount_fen"].to_pylist(), got["flag"].to_pylist(), strict=True)
                if f
            )
            assert any(got["flag"].to_pylist()) == online[name]["eligible"], (name, n)
            assert amounts == online[name]["monthly_amount_fen"], (name, n)

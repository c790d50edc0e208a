"""Policy simulation over a small generated registry: figures agree with two batch runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.compute as pc
import pytest

from minzheng.assistance.batch import eligibility_batch
from minzheng.assistance.catalogue import ParameterError, default_rows, engine_table
from minzheng.assistance.simulation import changed_rows, parse_change, simulate
from minzheng.engine.synthetic import population_tables
from minzheng.synth import generate

AS_OF = dt.date(2024, 7, 1)


@pytest.fixture(scope="module")
def tables():
    return population_tables(generate(persons=3000, seed=5, as_of=AS_OF))


def rows():
    start = dt.date(2024, 1, 1)
    return [
        *default_rows(),
        {"name": "dibao_urban_fen", "division": "44", "value": 100000, "valid_from": start,
         "valid_to": None},
        {"name": "dibao_urban_fen", "division": "4403", "value": 130000, "valid_from": start,
         "valid_to": None},
    ]  # fmt: skip


def test_parse_change():
    c = parse_change("dibao_standard", "+5%")
    assert c.names == ("dibao_urban_fen", "dibao_rural_fen") and c.op == "scale"
    assert c.apply(100000, "dibao_urban_fen") == 105000
    assert parse_change("dibao_urban_fen", "-50").apply(100000, "dibao_urban_fen") == 95000
    assert parse_change("dibao_urban_fen", "900").apply(100000, "dibao_urban_fen") == 90000
    assert parse_change("marginal_pct", "+0.5%").apply(150, "marginal_pct") == 151  # half-up
    with pytest.raises(ParameterError):
        parse_change("dibao_standard", "five percent")
    with pytest.raises(ParameterError):
        parse_change("nope", "+5%")


def test_changed_rows_scale_inside_the_division_only():
    out = changed_rows(rows(), [parse_change("dibao_urban_fen", "+10%")], division="4401", on=AS_OF)
    mine = [r for r in out if r["name"] == "dibao_urban_fen"]
    # 广州 (4401) inherited 1000.00 from 广东: it gets its own row at 1100.00 from the date;
    # 深圳 (4403) and the province itself keep theirs.
    assert {(r["division"], r["value"]) for r in mine} == {
        ("", 70660),
        ("44", 100000),
        ("4403", 130000),
        ("4401", 110000),
    }
    engine_table(out)  # still a valid, non-overlapping parameter table


def test_simulation_figures_match_two_batch_runs(tables):
    change = parse_change("dibao_standard", "+20%")
    sim = simulate(tables, as_of=AS_OF, rows=rows(), changes=[change], division="44")
    before = eligibility_batch(tables, as_of=AS_OF, parameter=engine_table(rows()),
                               programmes=["dibao"], indicators=False)["dibao"].table  # fmt: skip
    after_rows = changed_rows(rows(), [change], division="44", on=AS_OF)
    after = eligibility_batch(tables, as_of=AS_OF, parameter=engine_table(after_rows),
                              programmes=["dibao"], indicators=False)["dibao"].table  # fmt: skip
    fb = dict(zip(before["subject_sk"].to_pylist(), before["flag"].to_pylist(), strict=True))
    fa = dict(zip(after["subject_sk"].to_pylist(), after["flag"].to_pylist(), strict=True))
    new = sum(1 for k in fa if fa[k] and not fb[k])
    lost = sum(1 for k in fa if fb[k] and not fa[k])
    t = sim.total
    assert t["households_new"] == new and t["households_lost"] == lost
    assert new > 0 and lost == 0  # a higher standard only brings households in
    assert t["households_after"] == sum(1 for v in fa.values() if v)
    cost_after = pc.sum(pc.if_else(after["flag"], after["amount_fen"], 0)).as_py()
    assert t["monthly_after_fen"] == cost_after
    assert t["annual_change_fen"] == 12 * (t["monthly_after_fen"] - t["monthly_before_fen"]) > 0
    # Subordinate rows (cities of 广东) add up to the total.
    assert all(len(r["code"]) == 4 and r["code"].startswith("44") for r in sim.rows)
    assert sum(r["households_new"] for r in sim.rows) == new
    assert t["households_unchanged"] + new + lost == len(fa)
    assert sim.table_rows()[-1][1] == "合计"
    assert sim.table_rows()[-1][-3] == f"{Decimal(t['monthly_change_fen']) / 100:.2f}"

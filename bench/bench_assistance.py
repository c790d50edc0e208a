"""Batch 低保 eligibility over the registry, beside the same rule hand-written in DuckDB SQL.

    .venv/bin/python bench/bench_assistance.py [--persons 1000000 5000000] [--repeat 2]

For each size a synthetic population (``minzheng.synth``) is written to Parquet; then, on
the same files:

* FIGURE — ``eligibility_batch`` of the shipped ``dibao`` rule set (counted income by
  kind with deductions, the urban/rural standard inherited down the division tree, the
  four asset tests, gap or tiered method, floor, single-person inclusion, rounding), run
  by the engine on DuckDB with every condition and quoted value in the result;
* BASELINE — the same rule written by hand as one DuckDB query producing the outputs
  (flag and amount), reading the same parameter rows.

Both are best of ``--repeat``, each on a fresh connection; flag and amount must agree for
every household, otherwise the script fails. Then the policy simulation of a 5% standard
raise in 广东 (two batch runs and the comparison by city), beside two runs of the
hand-written query. Prints one JSON line per size and a summary.
Targets (issue #5): ratio ≤ 1.5×; simulation over 5 M persons ≤ 60 s.

Row for bench/README.md::

    | `bench_assistance.py` | seconds for batch 低保 eligibility over N persons (engine, DuckDB); seconds for a simulation | the same rule hand-written in DuckDB SQL on the same Parquet (×2 for the simulation) | ratio ≤ 1.5×; simulation ≤ 60 s at 5 M |
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minzheng.assistance.batch import eligibility_batch
from minzheng.assistance.catalogue import default_rows, engine_table
from minzheng.engine.synthetic import population_tables
from minzheng.synth import generate

AS_OF = dt.date(2024, 6, 30)
TARGET_RATIO = 1.5
# Regional overrides on top of the national defaults (synthetic values, not official).
REGIONAL = [
    ("dibao_urban_fen", "44", 100000),
    ("dibao_rural_fen", "44", 75000),
    ("dibao_urban_fen", "4401", 120000),
    ("dibao_urban_fen", "4403", 135000),
    ("floor_pct", "4403", 20),
    ("financial_assets_months", "4401", 36),
]

NAMES = [
    "dibao_urban_fen", "dibao_rural_fen", "marginal_pct", "count_wage", "count_business",
    "count_property", "count_transfer", "count_declared", "count_care", "count_reward",
    "count_study", "count_assistance", "deduct_work_fen", "deduct_disability_fen",
    "financial_assets_months", "homes_max", "vehicles_max", "business_allowed",
    "single_person_inclusion", "benefit_method", "floor_pct", "rounding_fen",
    "tier1_upto_pct", "tier2_upto_pct", "tier3_upto_pct", "tier4_upto_pct",
    "tier1_pay_pct", "tier2_pay_pct", "tier3_pay_pct", "tier4_pay_pct",
]  # fmt: skip

HAND_SQL = """
WITH pr AS (
  SELECT d.division_sk, p.name, arg_max(p.value, length(p.division_prefix)) AS v
  FROM division d JOIN parameter p ON starts_with(d.code, p.division_prefix)
  WHERE p.valid_from <= DATE '{day}' AND (p.valid_to IS NULL OR p.valid_to > DATE '{day}')
  GROUP BY d.division_sk, p.name
), par AS (
  PIVOT pr ON name IN ({names}) USING first(v) GROUP BY division_sk
), inc AS (
  SELECT person_sk, kind, SUM(monthly_fen) AS fen FROM income GROUP BY person_sk, kind
), pk AS (
  SELECT p.person_sk, p.household_sk, p.urban, p.hukou_division_sk,
    (p.disability_grade IN ('1', '2') OR (p.disability_grade = '3' AND p.disability_category IN ('5', '6'))
      OR p.health = 'serious') AS severe,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'wage'), 0) AS wage,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'business'), 0) AS business,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'property'), 0) AS property,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'transfer'), 0) AS transfer,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'declared'), 0) AS declared,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'care'), 0) AS care,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'reward'), 0) AS reward,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'study'), 0) AS study,
    COALESCE(SUM(i.fen) FILTER (WHERE i.kind = 'assistance'), 0) AS assistance
  FROM person p LEFT JOIN inc i ON i.person_sk = p.person_sk
  GROUP BY ALL
), pinc AS (
  SELECT k.person_sk, k.household_sk, k.severe,
    CASE WHEN k.urban = false THEN r.dibao_rural_fen ELSE r.dibao_urban_fen END AS pstd,
    r.floor_pct AS pfloor,
    greatest(k.wage * r.count_wage + k.business * r.count_business + k.property * r.count_property
      + k.transfer * r.count_transfer + k.declared * r.count_declared + k.care * r.count_care
      + k.reward * r.count_reward + k.study * r.count_study + k.assistance * r.count_assistance
      - CASE WHEN k.wage > 0 THEN r.deduct_work_fen ELSE 0 END
      - CASE WHEN k.severe THEN r.deduct_disability_fen ELSE 0 END, 0)::BIGINT AS income
  FROM pk k LEFT JOIN par r ON r.division_sk = k.hukou_division_sk
), hp AS (
  SELECT household_sk, COUNT(*) AS members, SUM(income)::BIGINT AS income,
    COUNT(*) FILTER (WHERE severe) AS severe_members,
    SUM(CASE WHEN severe THEN greatest(pstd - income, (pfloor * pstd * 2 // 100 + 1) // 2) ELSE 0 END)::BIGINT AS single
  FROM pinc GROUP BY household_sk
), ast AS (
  SELECT household_sk,
    COALESCE(SUM(value_fen) FILTER (WHERE kind = 'financial'), 0)::BIGINT AS financial,
    COALESCE(SUM(quantity) FILTER (WHERE kind = 'home'), 0) AS homes,
    COALESCE(SUM(quantity) FILTER (WHERE kind = 'vehicle'), 0) AS vehicles,
    COALESCE(SUM(quantity) FILTER (WHERE kind = 'business'), 0) AS businesses
  FROM asset GROUP BY household_sk
), f AS (
  SELECT h.household_sk, h.hukou_division_sk, r.*,
    CASE WHEN h.urban = false THEN r.dibao_rural_fen ELSE r.dibao_urban_fen END AS std,
    COALESCE(hp.members, 0) AS members, COALESCE(hp.income, 0) AS income,
    COALESCE(hp.severe_members, 0) AS severe_members, COALESCE(hp.single, 0) AS single,
    COALESCE(a.financial, 0) AS financial, COALESCE(a.homes, 0) AS homes,
    COALESCE(a.vehicles, 0) AS vehicles, COALESCE(a.businesses, 0) AS businesses
  FROM household h
  LEFT JOIN par r ON r.division_sk = h.hukou_division_sk
  LEFT JOIN hp ON hp.household_sk = h.household_sk
  LEFT JOIN ast a ON a.household_sk = h.household_sk
), g AS (
  SELECT *, income < std * members AS below,
    income * 100 < marginal_pct * std * members AS below_marginal,
    financial <= financial_assets_months * std * members AND homes <= homes_max
      AND vehicles <= vehicles_max AND (businesses = 0 OR business_allowed = 1) AS assets_ok
  FROM f
), o AS (
  SELECT *,
    members > 0 AND (below OR (single_person_inclusion = 1 AND NOT below AND below_marginal AND severe_members > 0))
      AND assets_ok AS flag,
    CASE WHEN below THEN greatest(
        CASE WHEN benefit_method = 2 THEN ((CASE
          WHEN income * 100 <= tier1_upto_pct * std * members THEN tier1_pay_pct
          WHEN income * 100 <= tier2_upto_pct * std * members THEN tier2_pay_pct
          WHEN income * 100 <= tier3_upto_pct * std * members THEN tier3_pay_pct
          WHEN income * 100 <= tier4_upto_pct * std * members THEN tier4_pay_pct ELSE 0 END)
          * std * members * 2 // 100 + 1) // 2
        ELSE std * members - income END,
        (floor_pct * std * members * 2 // 100 + 1) // 2)
      ELSE single END AS payable
  FROM g
)
SELECT household_sk AS subject_sk, flag,
  CASE WHEN flag THEN (payable + rounding_fen // 2) // rounding_fen * rounding_fen ELSE 0 END::BIGINT AS amount_fen
FROM o
"""


def parameter_table() -> pa.Table:
    rows = default_rows() + [
        {"name": n, "division": d, "value": v, "valid_from": dt.date(2024, 1, 1), "valid_to": None}
        for n, d, v in REGIONAL
    ]
    return engine_table(rows)


def prepare(persons: int, seed: int, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True)
    tables = population_tables(generate(persons=persons, seed=seed, as_of=AS_OF))
    tables["parameter"] = parameter_table()
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


def engine_once(paths: dict[str, Path]) -> tuple[float, pa.Table]:
    from minzheng.engine.backends import runner_for

    runner = runner_for("duckdb")
    tables = {n: p for n, p in paths.items() if n != "parameter"}
    start = time.perf_counter()
    result = eligibility_batch(
        tables,
        as_of=AS_OF,
        parameter=pq.read_table(paths["parameter"]),
        programmes=["dibao"],
        runner=runner,
        indicators=False,
    )["dibao"]
    seconds = time.perf_counter() - start
    runner.close()
    return seconds, result.table


def hand_once(paths: dict[str, Path]) -> tuple[float, pa.Table]:
    con = duckdb.connect()
    start = time.perf_counter()
    for name, path in paths.items():
        con.read_parquet(str(path)).create_view(name, replace=True)
    sql = HAND_SQL.format(day=AS_OF.isoformat(), names=", ".join(f"'{n}'" for n in NAMES))
    table = con.sql(sql).to_arrow_table()
    seconds = time.perf_counter() - start
    con.close()
    return seconds, table


def agree(engine: pa.Table, hand: pa.Table) -> tuple[bool, int]:
    a = engine.select(["subject_sk", "flag", "amount_fen"]).sort_by("subject_sk")
    b = hand.sort_by("subject_sk")
    fa, fb = a["flag"].to_pylist(), b["flag"].to_pylist()
    ma, mb = a["amount_fen"].to_pylist(), b["amount_fen"].to_pylist()
    ok = a["subject_sk"].to_pylist() == b["subject_sk"].to_pylist() and fa == fb and ma == mb
    return ok, sum(1 for f in fa if f)


def simulation_once(paths: dict[str, Path]) -> tuple[float, dict[str, Any]]:
    from minzheng.assistance.simulation import parse_change, simulate

    tables = {n: p for n, p in paths.items() if n != "parameter"}
    rows = default_rows() + [
        {"name": n, "division": d, "value": v, "valid_from": dt.date(2024, 1, 1), "valid_to": None}
        for n, d, v in REGIONAL
    ]
    start = time.perf_counter()
    sim = simulate(
        tables,
        as_of=AS_OF,
        rows=rows,
        changes=[parse_change("dibao_standard", "+5%")],
        division="44",
    )
    return time.perf_counter() - start, sim.total


def measure(persons: int, paths: dict[str, Path], repeat: int) -> dict[str, Any]:
    from minzheng.assistance.assess import rulesets

    rulesets()  # rule files are read and checked once per process, not per run
    runs = [engine_once(paths) for _ in range(repeat)]
    hands = [hand_once(paths) for _ in range(repeat)]
    ok, flagged = agree(runs[0][1], hands[0][1])
    if not ok:
        raise SystemExit(f"the engine and the hand-written SQL disagree at {persons:,} persons")
    seconds, base = min(s for s, _ in runs), min(s for s, _ in hands)
    sim_seconds, total = simulation_once(paths)
    return {
        "bench": "assistance_eligibility",
        "rule": "dibao@2024.1",
        "persons": persons,
        "households": pq.read_metadata(paths["household"]).num_rows,
        "eligible_households": flagged,
        "seconds": round(seconds, 3),
        "baseline": "hand-written DuckDB SQL (flag, amount)",
        "baseline_seconds": round(base, 3),
        "ratio": round(seconds / base, 2),
        "target_ratio": TARGET_RATIO,
        "ok": seconds / base <= TARGET_RATIO,
        "result_columns": runs[0][1].num_columns,
        "simulation": "dibao_standard +5% in 44",
        "simulation_seconds": round(sim_seconds, 3),
        "simulation_vs_two_hand_runs": round(sim_seconds / (2 * base), 2),
        "simulation_target_seconds": 60,
        "simulation_newly_eligible_households": total["households_new"],
        "simulation_annual_change_yuan": total["annual_change_fen"] // 100,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mz-bench-assist-") as tmp:
        for n in args.persons:
            paths = prepare(n, args.seed, Path(tmp) / str(n))
            row = measure(n, paths, args.repeat)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = (b["seconds"] / a["seconds"]) / (b["persons"] / a["persons"])
        print(
            json.dumps(
                {"summary": "time per person, largest vs smallest", "growth": round(growth, 2)}
            )
        )
    if not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

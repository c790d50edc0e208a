"""Benchmark one compiled rule against the same rule hand-written in DuckDB SQL.

    .venv/bin/python bench/bench_engine.py [--persons 1000000 10000000] [--repeat 3]
                                           [--spark-max 1000000] [--rule medical_burden]

For each size: a synthetic population (``minzheng.synth``) with 3 feed rows per person
(medical settlements over 18 months) is written to Parquet; then, on the same files,

* FIGURE — ``minzheng.engine.run`` of the sample rule ``medical_burden`` (12-month sum
  of self-paid medical costs above a share of household income; share inherited down
  the division tree) on DuckDB, parameters resolved, results typed into Arrow;
* BASELINE — the same rule written by hand as one DuckDB query, same outputs.

Both are best of ``--repeat``, each on a fresh connection; the two results must be equal
row for row (otherwise the script fails). With ``--spark-max N`` the engine also runs on
Spark local[2] for sizes ≤ N, beside the hand-written SQL transpiled to Spark (reference
only). Prints one JSON line per (size, backend), then a summary with the growth factor.

Rows for bench/README.md::

    | `bench_engine.py` | seconds for one rule over N persons + 3N feed rows (DuckDB; Spark for reference) | the same rule hand-written in DuckDB SQL on the same Parquet | ratio ≤ 1.2×, linear growth |
    | `bench_engine_online.py` | ms to evaluate one household online, and mismatches vs the batch over 10,000 households | a one-row DuckDB query through the same client | ≤ 20 ms, 0 mismatches |
    | `bench_engine_snapshot.py` | seconds to snapshot 1 M persons from SQLite / PostgreSQL (ADBC and Django's connection) | reading the bare person table with the same driver | PostgreSQL ≤ 30 s |
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

from minzheng.engine import load_parameters, load_ruleset, run
from minzheng.engine.synthetic import feed, population_tables
from minzheng.synth import generate

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "minzheng" / "engine" / "rulesets"
AS_OF = dt.date(2024, 6, 30)
TARGET_RATIO = 1.2

# The medical_burden rule, as someone would write it by hand for DuckDB.
HAND_SQL = """
WITH share AS (
  SELECT d.division_sk, arg_max(p.value, length(p.division_prefix)) AS pct
  FROM division d JOIN parameter p ON starts_with(d.code, p.division_prefix)
  WHERE p.name = 'burden_share_pct' AND p.valid_from <= DATE '{day}'
    AND (p.valid_to IS NULL OR p.valid_to > DATE '{day}')
  GROUP BY d.division_sk
), income AS (
  SELECT p.household_sk, SUM(i.monthly_fen) AS monthly
  FROM income i JOIN person p ON p.person_sk = i.person_sk GROUP BY p.household_sk
), paid AS (
  SELECT p.household_sk,
         SUM(m.amount_fen) FILTER (WHERE m.kind = 'self_pay') AS fen, COUNT(*) AS visits
  FROM medical m JOIN person p ON p.person_sk = m.person_sk
  WHERE m.settled_on > DATE '{start}' AND m.settled_on <= DATE '{day}'
  GROUP BY p.household_sk
), facts AS (
  SELECT h.household_sk, h.hukou_division_sk, s.pct,
         COALESCE(i.monthly, 0)::BIGINT * 12 AS annual, COALESCE(m.fen, 0)::BIGINT AS fen,
         COALESCE(m.visits, 0) AS visits
  FROM household h
  LEFT JOIN income i ON i.household_sk = h.household_sk
  LEFT JOIN paid m ON m.household_sk = h.household_sk
  LEFT JOIN share s ON s.division_sk = h.hukou_division_sk
)
SELECT household_sk AS subject_sk, hukou_division_sk AS division_sk,
       fen * 100 > pct * annual AS flag, fen AS amount_fen,
       CASE WHEN fen * 100 > 2 * pct * annual THEN 'high'
            WHEN fen * 100 > pct * annual THEN 'medium' END AS severity,
       fen * 100 > pct * annual AS heavy_burden, annual AS annual_income_fen,
       pct AS burden_share_pct, fen AS medical_12m_fen, visits AS medical_visits_12m
FROM facts
"""


def prepare(persons: int, seed: int, out: Path, rs: Any) -> dict[str, Path]:
    """Write the population, its feed and the parameters to Parquet; return name → path."""
    out.mkdir(parents=True)
    tables = population_tables(generate(persons=persons, seed=seed, as_of=AS_OF))
    tables["medical"] = feed(tables["person"], as_of=AS_OF, per_person=3, seed=seed)
    tables["parameter"] = load_parameters(RULESETS / "parameters.yaml")
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


def engine_once(
    rs: Any, paths: dict[str, Path], backend: str, spark: Any = None
) -> tuple[float, pa.Table]:
    from minzheng.engine.backends import runner_for

    runner = runner_for(backend, **({"spark": spark} if spark is not None else {}))
    start = time.perf_counter()
    result = run(rs, paths, as_of=AS_OF, runner=runner, indicators=False)
    seconds = time.perf_counter() - start
    runner.close()
    return seconds, result.table


def hand_sql() -> str:
    from minzheng.engine.rules.schema import Window

    return HAND_SQL.format(
        day=AS_OF.isoformat(), start=Window(12, "months").start(AS_OF).isoformat()
    )


def hand_once(paths: dict[str, Path]) -> tuple[float, pa.Table]:
    con = duckdb.connect()
    start = time.perf_counter()
    for name, path in paths.items():
        con.read_parquet(str(path)).create_view(name, replace=True)
    table = con.sql(hand_sql()).to_arrow_table()
    seconds = time.perf_counter() - start
    con.close()
    return seconds, table


def hand_spark(paths: dict[str, Path], spark: Any) -> tuple[float, int]:
    import sqlglot

    start = time.perf_counter()
    for name, path in paths.items():
        spark.read.parquet(str(path)).createOrReplaceTempView(name)
    sql = sqlglot.transpile(hand_sql(), read="duckdb", write="spark")[0]
    rows = spark.sql(sql).toArrow().num_rows
    return time.perf_counter() - start, rows


def same(a: pa.Table, b: pa.Table) -> bool:
    """Row-for-row equality after sorting, ignoring Arrow integer widths."""
    a, b = a.sort_by("subject_sk"), b.sort_by("subject_sk")
    return all(a.column(c).to_pylist() == b.column(c).to_pylist() for c in a.column_names)


def measure_duckdb(persons: int, paths: dict[str, Path], rs: Any, repeat: int) -> dict[str, Any]:
    """The engine and the hand-written query on DuckDB, best of ``repeat`` each."""
    runs = [engine_once(rs, paths, "duckdb") for _ in range(repeat)]
    hands = [hand_once(paths) for _ in range(repeat)]
    if not same(runs[0][1], hands[0][1]):
        raise SystemExit(f"the engine and the hand-written SQL disagree at {persons:,} persons")
    seconds, base = min(s for s, _ in runs), min(s for s, _ in hands)
    return {
        **common(persons, paths, rs, runs[0][1]),
        "backend": "duckdb",
        "seconds": round(seconds, 3),
        "baseline": "hand-written DuckDB SQL",
        "baseline_seconds": round(base, 3),
        "ratio": round(seconds / base, 2),
        "target_ratio": TARGET_RATIO,
        "ok": seconds / base <= TARGET_RATIO,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def measure_spark(
    persons: int, paths: dict[str, Path], rs: Any, repeat: int, spark: Any
) -> dict[str, Any]:
    """Reference figures on Spark local[2], after one warm-up run of each query."""
    s_runs = [engine_once(rs, paths, "spark", spark) for _ in range(repeat + 1)][1:]
    h_seconds = min(hand_spark(paths, spark)[0] for _ in range(repeat + 1))
    s_seconds, s_table = min(s_runs, key=lambda r: r[0])
    _, duck = engine_once(rs, paths, "duckdb")
    return {
        **common(persons, paths, rs, s_table),
        "backend": "spark local[2] (reference)",
        "seconds": round(s_seconds, 3),
        "baseline": "hand-written SQL transpiled to Spark",
        "baseline_seconds": round(h_seconds, 3),
        "ratio": round(s_seconds / h_seconds, 2),
        "same_rows_as_duckdb": same(s_table, duck),
    }


def common(persons: int, paths: dict[str, Path], rs: Any, table: pa.Table) -> dict[str, Any]:
    return {
        "bench": "engine",
        "rule": rs.key,
        "persons": persons,
        "households": pq.read_metadata(paths["household"]).num_rows,
        "feed_rows": pq.read_metadata(paths["medical"]).num_rows,
        "flagged": sum(table["flag"].to_pylist()),
    }


def summary(results: list[dict[str, Any]]) -> str:
    duck = [r for r in results if r["backend"] == "duckdb"]
    parts = [
        f"{r['persons']:,} persons: {r['seconds']:.2f} s vs {r['baseline_seconds']:.2f} s by hand "
        f"({r['ratio']}x)"
        for r in duck
    ]
    line = "engine: " + "; ".join(parts)
    if len(duck) >= 2:
        a, b = duck[0], duck[-1]
        line += f"; time x{b['seconds'] / a['seconds']:.1f} for x{b['persons'] / a['persons']:g} persons"
    return (
        line
        + ("; within" if all(r["ok"] for r in duck) else "; OVER")
        + f" the {TARGET_RATIO}x target"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spark-max", type=int, default=0, help="also run Spark for sizes ≤ N")
    parser.add_argument("--rule", default="medical_burden", choices=["medical_burden"])
    args = parser.parse_args(argv)
    rs = load_ruleset(RULESETS / f"{args.rule}.yaml")
    results = []

    def emit(row: dict[str, Any]) -> None:
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
        data = {n: prepare(n, args.seed, Path(tmp) / str(n), rs) for n in args.persons}
        for n, paths in data.items():  # DuckDB first, before a JVM shares the machine
            emit(measure_duckdb(n, paths, rs, args.repeat))
        if args.spark_max:
            from minzheng.engine.backends.spark import local_session

            spark = local_session(cores=2, memory="8g", shuffle_partitions=8)
            for n, paths in data.items():
                if n <= args.spark_max:
                    emit(measure_spark(n, paths, rs, args.repeat, spark))
    print(summary(results))
    return 0 if all(r.get("ok", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

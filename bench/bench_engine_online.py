"""Benchmark online evaluation: one household at a time, and its agreement with the batch.

    .venv/bin/python bench/bench_engine_online.py [--persons 1000000] [--households 10000]

A synthetic population (plus 3 feed rows per person) is evaluated once in batch; then
``--households`` random households are evaluated one by one with
:class:`minzheng.engine.Online` (the same compiled SQL on a one-household table in
DuckDB) and each online document (flag, every condition's sentence, the numbers) is
compared with the batch's. FIGURE: milliseconds per household after warm-up (p50, p95,
max). BASELINE: the same client running ``SELECT * FROM t`` on a registered one-row
Arrow table — the floor of one DuckDB round trip. Prints one JSON line per rule.
Target: p50 ≤ 20 ms and no mismatch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minzheng.engine import load_parameters, load_ruleset, run
from minzheng.engine.online import HouseholdIndex, Online
from minzheng.engine.synthetic import feed, population_tables
from minzheng.synth import generate

RULESETS = Path(__file__).resolve().parent.parent / "minzheng" / "engine" / "rulesets"
AS_OF = dt.date(2024, 6, 30)
TARGET_MS = 20.0
WARM_UP = 100


def floor_ms(n: int) -> float:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    one = pa.table({"a": [1]})
    took = []
    for _ in range(n):
        start = time.perf_counter()
        con.register("t", one)
        con.sql("SELECT * FROM t").to_arrow_table()
        took.append(time.perf_counter() - start)
    return statistics.median(took) * 1000


def measure(
    name: str, tables: dict, params: pa.Table, index: HouseholdIndex, n: int, seed: int
) -> dict:
    rs = load_ruleset(RULESETS / f"{name}.yaml")
    batch = run(rs, {**tables, "parameter": params}, as_of=AS_OF, indicators=False)
    docs = dict(
        zip(batch.table["subject_sk"].to_pylist(), batch.explanations().to_pylist(), strict=True)
    )
    online = Online(rs, as_of=AS_OF, division=tables["division"], parameter=params)
    picks = random.Random(seed).choices(sorted(docs), k=n + WARM_UP)
    took, mismatches, flag_mismatches = [], 0, 0
    for i, sk in enumerate(picks):
        start = time.perf_counter()
        found = online.household(index.household(sk))
        if i >= WARM_UP:
            took.append(time.perf_counter() - start)
            mismatches += found is None or found.document != docs[sk]
            flag_mismatches += found is None or json.loads(docs[sk])["flag"] is not found.flag
    online.close()
    took.sort()
    p50 = statistics.median(took) * 1000
    base = floor_ms(1000)
    return {
        "bench": "engine_online",
        "rule": rs.key,
        "persons": tables["person"].num_rows,
        "households_checked": n,
        "p50_ms": round(p50, 2),
        "p95_ms": round(took[int(len(took) * 0.95)] * 1000, 2),
        "max_ms": round(took[-1] * 1000, 2),
        "baseline": "one-row DuckDB query, same client",
        "baseline_ms": round(base, 3),
        "ratio": round(p50 / base, 1),
        "document_mismatches": mismatches,
        "flag_mismatches": flag_mismatches,
        "target_ms": TARGET_MS,
        "ok": p50 <= TARGET_MS and mismatches == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    tables = population_tables(generate(persons=args.persons, seed=args.seed, as_of=AS_OF))
    tables["medical"] = feed(tables["person"], as_of=AS_OF, seed=args.seed)
    params = load_parameters(RULESETS / "parameters.yaml")
    start = time.perf_counter()
    index = HouseholdIndex(tables)
    print(
        f"household index over {args.persons:,} persons: {time.perf_counter() - start:.2f} s",
        file=sys.stderr,
    )
    results = []
    for name in ("dibao", "medical_burden"):
        results.append(measure(name, tables, params, index, args.households, args.seed))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    print(
        "engine online: "
        + "; ".join(
            f"{r['rule']} p50 {r['p50_ms']} ms, {r['document_mismatches']} mismatches in "
            f"{r['households_checked']:,}"
            for r in results
        )
    )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark the synthetic population generator against a trivial-Parquet floor.

    .venv/bin/python bench/bench_synth.py [--persons 100000 1000000] [--seed 0]

For each size: time ``generate()`` + ``write()`` and, in the same run, a BASELINE that
builds tables of the same schemas and row counts from trivially random values (NumPy
random integers, their decimal strings) and writes them to Parquet the same way — the
floor cost of producing that many rows. Prints one JSON line per size, then a summary.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minzheng.synth import Population, generate, write

TARGET_S = 60.0


def random_column(rng: np.random.Generator, typ: pa.DataType, n: int) -> pa.Array:
    """A column of ``typ`` with trivially random values."""
    if pa.types.is_string(typ):
        return pc.cast(pa.array(rng.integers(0, 10**12, n)), pa.string())
    if pa.types.is_boolean(typ):
        return pa.array(rng.random(n) < 0.5)
    if pa.types.is_date32(typ):
        return pa.array(rng.integers(-20000, 20000, n).astype(np.int32)).cast(pa.date32())
    return pa.array(rng.integers(0, 100, n)).cast(typ)


def baseline(pop: Population, out_dir: Path, seed: int) -> float:
    """Seconds to build and write same-shaped random tables (same rows, same schemas)."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for name, table in pop.tables().items():
        cols = [random_column(rng, f.type, table.num_rows) for f in table.schema]
        fake = pa.Table.from_arrays(cols, schema=table.schema)
        pq.write_table(fake, out_dir / f"{name}.parquet", compression="zstd")
    return time.perf_counter() - start


def once(persons: int, seed: int, tmp: Path) -> tuple[Population, float, float]:
    """(population, seconds to generate, seconds to generate and write)."""
    start = time.perf_counter()
    pop = generate(persons=persons, seed=seed)
    generated = time.perf_counter() - start
    write(pop, tmp / "synth")
    return pop, generated, time.perf_counter() - start


def run(persons: int, seed: int, repeat: int) -> dict[str, object]:
    """Best of ``repeat`` runs, for the generator and for the baseline alike."""
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "baseline").mkdir()
        pop, generated, seconds = once(persons, seed, tmp)
        for _ in range(repeat - 1):  # keep one population in memory at a time
            _, gen, secs = once(persons, seed, tmp)
            generated, seconds = min(generated, gen), min(seconds, secs)
        base = min(baseline(pop, tmp / "baseline", seed) for _ in range(repeat))
    return {
        "bench": "synth",
        "persons": persons,
        "households": pop.households.num_rows,
        "seconds": round(seconds, 3),
        "generate_seconds": round(generated, 3),
        "persons_per_s": round(persons / seconds),
        "baseline_seconds": round(base, 3),
        "ratio": round(seconds / base, 2),
        "target_s": TARGET_S,
        "ok": seconds <= TARGET_S,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def summary(results: list[dict[str, object]]) -> str:
    parts = [
        f"{r['persons']:,} persons in {r['seconds']:.2f} s "
        f"({r['persons_per_s']:,}/s, {r['ratio']}x the random-Parquet floor)"
        for r in results
    ]
    line = "synth: " + "; ".join(parts)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        growth = float(b["seconds"]) / float(a["seconds"])  # type: ignore[arg-type]
        size = int(b["persons"]) / int(a["persons"])  # type: ignore[call-overload]
        line += f"; time x{growth:.1f} for x{size:g} persons"
    ok = all(r["ok"] for r in results)
    return line + (f"; all within {TARGET_S:g} s" if ok else f"; OVER the {TARGET_S:g} s target")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    args = parser.parse_args(argv)
    results = []
    for n in args.persons:
        results.append(run(n, args.seed, max(1, args.repeat)))
        print(json.dumps(results[-1]), flush=True)
    print(summary(results))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

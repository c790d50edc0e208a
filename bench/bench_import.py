"""Import throughput: a 100,000-row registry CSV into a fresh SQLite database.

Baseline, in the same run: the same rows inserted raw with ``executemany`` into a
single SQLite table (no validation, no matching, no history) — the floor cost.

    .venv/bin/python bench/bench_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def baseline(path: Path, db: Path) -> float:
    """Raw insert of the CSV's rows into one table."""
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    t = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    cols = ", ".join(f"c{i} TEXT" for i in range(len(header)))
    con.execute(f"CREATE TABLE raw ({cols})")
    con.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(header))})", body)
    con.commit()
    con.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mz-bench-import-"))
    os.environ["MINZHENG_DATA_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.accounts.services import system_actor
    from minzheng.core.setup import initialise
    from minzheng.registry.importing.service import registry_import
    from minzheng.synth import generate, write_import_csv

    list(initialise())
    pop = generate(persons=args.rows, province="44", counties=["440106", "440104"], seed=7)
    path = tmp / "registry.csv"
    write_import_csv(pop, path)
    base = baseline(path, tmp / "baseline.sqlite3")
    t = time.perf_counter()
    report = registry_import(actor=system_actor(), path=path)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = registry_import(actor=system_actor(), path=path)
    second = time.perf_counter() - t
    out = {
        "bench": "import_registry_csv_sqlite",
        "rows": report.rows,
        "created": report.created,
        "rejected": report.rejected,
        "seconds": round(first, 2),
        "rows_per_s": round(report.rows / first),
        "reimport_seconds": round(second, 2),
        "reimport_unchanged": again.unchanged,
        "baseline_seconds": round(base, 2),
        "ratio": round(first / base, 1),
        "target_s": 60,
        "ok": first <= 60,
    }
    print(json.dumps(out))
    print(
        f"import {report.rows} rows: {first:.1f}s (re-import {second:.1f}s); "
        f"raw executemany {base:.2f}s; ratio {first / base:.0f}x",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

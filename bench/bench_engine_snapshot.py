"""Benchmark snapshots: 1 M registry persons read out of SQLite and PostgreSQL as Arrow.

    .venv/bin/python bench/bench_engine_snapshot.py [--persons 1000000] [--db sqlite postgres]
                                                    [--repeat 2] [--keep]

Setup (per database, in a child process with its own settings): a fresh SQLite file in a
temporary directory, or a fresh PostgreSQL database ``minzheng_bench_engine`` on
127.0.0.1 (trust auth, dropped afterwards unless ``--keep``; reused when it already holds
the same number of persons), migrated, divisions loaded, and a synthetic registry of
``--persons`` people loaded with ``population_load``. Then FIGURE: seconds for
``snapshot_take`` (registry as of a date: persons with membership, location and condition
as of the date, households, incomes, assets, divisions) over ADBC and over Django's own
connection. BASELINE: reading the bare person table (``SELECT * FROM registry_person``)
with the same ADBC driver. One JSON line per (database, path). Target: ≤ 30 s from
PostgreSQL at 1 M persons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2024, 6, 30)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_NAME = "minzheng_bench_engine"
TARGET_S = 30.0


def child(db: str, persons: int, repeat: int, keep: bool) -> list[dict[str, Any]]:
    """Runs with DATABASE_URL already set for ``db``: set up, then measure."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    django.setup()
    setup = ensure_population(persons)
    from django.db import connection

    from minzheng.engine.snapshot import snapshot_adbc, snapshot_take

    base = min(bare_read(connection) for _ in range(repeat))
    out = []
    for via in ("adbc", "connection"):
        best = None
        for _ in range(repeat):
            if via == "adbc":
                snap = snapshot_adbc(
                    on=AS_OF, vendor=connection.vendor, settings=connection.settings_dict
                )
            else:
                snap = snapshot_take(on=AS_OF, via="connection")
            if best is None or snap.seconds < best.seconds:
                best = snap
        assert best is not None
        rows = {n: t.num_rows for n, t in best.tables.items()}
        out.append(
            {
                "bench": "engine_snapshot",
                "database": connection.vendor,
                "via": via,
                "persons": rows["person"],
                "rows": rows,
                "seconds": round(best.seconds, 3),
                "per_table_s": {n: round(s, 3) for n, s in best.timings.items()},
                "baseline": "bare person table, same ADBC driver",
                "baseline_seconds": round(base, 3),
                "ratio": round(best.seconds / base, 2),
                "setup_seconds": setup,
                "target_s": TARGET_S,
                "ok": best.seconds <= TARGET_S,
            }
        )
    return out


def ensure_population(persons: int) -> float | None:
    """Migrate and load ``persons`` synthetic persons unless the database holds them already."""
    from django.core.management import call_command
    from django.db import connection

    from minzheng.registry.models import Person

    call_command("migrate", verbosity=0)
    if Person.objects.count() == persons:
        return None
    start = time.perf_counter()
    from minzheng.divisions import services
    from minzheng.registry.bulk import population_load
    from minzheng.synth import generate, write

    services.divisions_load_official()
    services.divisions_load_subcounty(path=services.DATA_DIR / "townships.csv.gz", prefix="44")
    with tempfile.TemporaryDirectory(prefix="bench_snapshot_") as tmp:
        write(generate(persons=persons, seed=1, as_of=AS_OF), Path(tmp))
        population_load(directory=Path(tmp), on=AS_OF)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - start, 1)


def bare_read(connection: Any) -> float:
    """Seconds to read the person table as it is, over the same ADBC driver."""
    s = connection.settings_dict
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        import adbc_driver_postgresql.dbapi as driver

        conn = driver.connect(f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}")
    else:
        import adbc_driver_sqlite.dbapi as driver

        conn = driver.connect(str(s["NAME"]))
    cur = conn.cursor()
    cur.execute(
        "SELECT id, household_id, sex, birth_date, id_number, id_status, hukou_division_id, "
        "residence_division_id, relationship FROM registry_person"
    )
    cur.fetch_arrow_table()
    conn.close()
    return time.perf_counter() - start


def parent(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    for db in args.db:
        env = dict(os.environ)
        with tempfile.TemporaryDirectory(prefix="bench_snapshot_db_") as tmp:
            env["MINZHENG_DATA_DIR"] = tmp
            env.pop("DATABASE_URL", None)
            if db == "postgres":
                create_database(fresh=False)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
            cmd = [
                sys.executable,
                __file__,
                "--child",
                db,
                "--persons",
                str(args.persons),
                "--repeat",
                str(args.repeat),
            ]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            for line in done.stdout.splitlines():
                results.append(json.loads(line))
                print(line, flush=True)
        if db == "postgres" and not args.keep:
            drop_database()
    print(
        "engine snapshot: "
        + "; ".join(
            f"{r['database']}/{r['via']} {r['persons']:,} persons in {r['seconds']:.1f} s ({r['ratio']}x the bare read)"
            for r in results
        )
    )
    return 0 if all(r["ok"] for r in results if r["database"] == "postgresql") else 1


def create_database(*, fresh: bool) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
        if exists and fresh:
            conn.execute(f"DROP DATABASE {PG_NAME}")
        if not exists or fresh:
            conn.execute(f"CREATE DATABASE {PG_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument(
        "--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        for row in child(args.child, args.persons, args.repeat, args.keep):
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return 0
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())

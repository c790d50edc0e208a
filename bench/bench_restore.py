"""Restore drill: how long ``minzheng restore`` takes to bring back an N-person database.

Setup (cached): a synthetic population of ``--persons`` people in two counties
(``minzheng.synth``, seed 2026, the same Parquet as ``bench_load.py`` when present) loaded
into a throwaway database — PostgreSQL ``mz_restore_src_<pid>`` on 127.0.0.1 (trust auth,
user postgres) and/or a throwaway SQLite file — after ``minzheng init``. The loaded
database is kept as a dump / file under ``bench/out/restore/`` and a rerun starts from it
(``--rebuild`` loads the population again).

Then, per engine: ``minzheng backup --out …`` (verified: it restores into a scratch
database and compares every table's rows and checksum) is timed; then ``minzheng restore
… --yes`` into a fresh database (``mz_restore_dst_<pid>``; for SQLite a fresh data
directory) is timed, and every table's row count is compared with the source. Baseline in
the same run: a plain ``pg_restore --no-owner`` of the same dump into another fresh
database (for SQLite, a file copy of the backup). Prints one JSON line per engine: restore
seconds, backup seconds, dump size, rows/s, baseline seconds and the ratio. Throwaway
databases and files are removed at the end. Data directories (``MINZHENG_DATA_DIR``, so
attachments) are temporary too; only 127.0.0.1.

    .venv/bin/python bench/bench_restore.py [--persons 100000] [--engines postgresql sqlite]
                                            [--rebuild] [--out bench/results/restore.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT_DIR = ROOT / "bench" / "out" / "restore"
COUNTIES = ["440106", "440104"]  # 天河区, 越秀区
SEED = 2026
AS_OF = "2024-06-30"

LOAD = """
import datetime as dt, json, sys
from pathlib import Path
import django
django.setup()
from minzheng.accounts.rls import EVERYTHING, acting
from minzheng.registry.bulk import population_load
with acting(EVERYTHING):
    c = population_load(directory=Path(sys.argv[1]), on=dt.date.fromisoformat(sys.argv[2]))
print(json.dumps({"persons": c.persons, "households": c.households}))
"""


def log(msg: str) -> None:
    print(f"[bench_restore] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], env: dict[str, str], what: str) -> tuple[float, str]:
    """Run ``cmd``; seconds taken and its stdout. A failure stops the drill."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr[-3000:]}")
    return seconds, done.stdout


def last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def population_dir(persons: int) -> Path:
    """The Parquet files: ``bench_load.py``'s when it has them (same seed and counties)."""
    shared = ROOT / "bench" / "out" / "load" / f"population-{persons}-seed{SEED}"
    if (shared / "manifest.json").exists():
        return shared
    return OUT_DIR / f"population-{persons}-seed{SEED}"


def ensure_population(persons: int) -> tuple[Path, float]:
    out = population_dir(persons)
    if (out / "manifest.json").exists():
        return out, 0.0
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    from minzheng.synth import generate, write

    log(f"generating {persons:,} persons …")
    start = time.perf_counter()
    pop = generate(
        persons=persons,
        province="44",
        counties=COUNTIES,
        seed=SEED,
        as_of=dt.date.fromisoformat(AS_OF),
    )
    write(pop, out)
    return out, time.perf_counter() - start


def base_env(data_dir: Path, url: str | None) -> dict[str, str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="minzheng.settings")
    env["MINZHENG_DATA_DIR"] = str(data_dir)
    for name in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "BATCH_DATABASE_URL"):
        env.pop(name, None)
    if url:
        env["DATABASE_URL"] = url
    env.pop("MINZHENG_DEBUG", None)
    return env


def build(env: dict[str, str], persons: int) -> dict[str, Any]:
    """``minzheng init`` and the population into the database ``env`` points at."""
    directory, generate_s = ensure_population(persons)
    init_s, _ = run([str(BIN / "minzheng"), "init"], env, "minzheng init")
    log(f"loading {persons:,} persons …")
    load_s, out = run([sys.executable, "-c", LOAD, str(directory), AS_OF], env, "population_load")
    return {
        "generate_s": round(generate_s, 1),
        "init_s": round(init_s, 1),
        "load_s": round(load_s, 1),
        "loaded": last_json(out),
    }


# --------------------------------------------------------------------------------------
# PostgreSQL


def pg(base: str, sql: str, db: str = "postgres") -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{base}/{db}", autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else []


def pg_counts(base: str, db: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(f"{base}/{db}", autocommit=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def pg_conn_args(base: str, db: str) -> list[str]:
    u = urlsplit(base)
    return ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", db]  # fmt: skip


def drill_postgresql(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    base = args.pg.rstrip("/")
    tag = f"{os.getpid()}"
    src, dst, ref = (f"mz_restore_{k}_{tag}" for k in ("src", "dst", "base"))
    cache = OUT_DIR / f"cache-postgresql-{args.persons}-seed{SEED}.dump"
    made: list[str] = []
    info: dict[str, Any] = {"bench": "restore", "engine": "postgresql", "persons": args.persons}
    try:
        for db in (src, dst, ref):
            pg(base, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            pg(base, f'CREATE DATABASE "{db}"')
            made.append(db)
        env = base_env(work / "data-pg", f"{base}/{src}")
        if cache.exists() and not args.rebuild:
            log(f"source from the cached dump {cache.name}")
            s, _ = run(
                ["pg_restore", "--no-owner", *pg_conn_args(base, src), str(cache)], env, "cache"
            )
            info["setup"] = {"cached": True, "from_cache_s": round(s, 1)}
        else:
            info["setup"] = {"cached": False, **build(env, args.persons)}
        pg(base, "VACUUM ANALYZE", src)
        source = pg_counts(base, src)
        dump = work / "minzheng.dump"
        log("minzheng backup (verified) …")
        backup_s, out = run([str(BIN / "minzheng"), "backup", "--out", str(dump)], env, "backup")
        report = last_json(out)
        if not cache.exists() or args.rebuild:
            shutil.copyfile(dump, cache)
        log("minzheng restore into a fresh database …")
        env_dst = base_env(work / "data-pg-restored", f"{base}/{dst}")
        restore_s, out = run(
            [str(BIN / "minzheng"), "restore", str(dump), "--yes"], env_dst, "restore"
        )
        restored = pg_counts(base, dst)
        log("baseline: plain pg_restore into another fresh database …")
        base_s, _ = run(
            ["pg_restore", "--no-owner", *pg_conn_args(base, ref), str(dump)], env, "pg_restore"
        )
        baseline = pg_counts(base, ref)
    finally:
        for db in made:
            pg(base, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return finish(info, source, restored, baseline, report, last_json(out), dump, backup_s,
                  restore_s, base_s, "plain pg_restore --no-owner of the same dump, fresh database")  # fmt: skip


# --------------------------------------------------------------------------------------
# SQLite


def sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def sqlite_file(data_dir: Path) -> Path:
    out = subprocess.run(
        [sys.executable, "-c", "from minzheng.paths import sqlite_path; print(sqlite_path())"],
        env=base_env(data_dir, None),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def drill_sqlite(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    cache = OUT_DIR / f"cache-sqlite-{args.persons}-seed{SEED}.sqlite3"
    info: dict[str, Any] = {"bench": "restore", "engine": "sqlite", "persons": args.persons}
    src_dir, dst_dir = work / "data-sqlite", work / "data-sqlite-restored"
    src_dir.mkdir()
    dst_dir.mkdir()
    env = base_env(src_dir, None)
    src = sqlite_file(src_dir)
    if cache.exists() and not args.rebuild:
        start = time.perf_counter()
        src.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, src)
        info["setup"] = {"cached": True, "from_cache_s": round(time.perf_counter() - start, 1)}
    else:
        info["setup"] = {"cached": False, **build(env, args.persons)}
        con = sqlite3.connect(src)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        shutil.copyfile(src, cache)
    source = sqlite_counts(src)
    dump = work / "minzheng-backup.sqlite3"
    log("minzheng backup (verified) …")
    backup_s, out = run([str(BIN / "minzheng"), "backup", "--out", str(dump)], env, "backup")
    report = last_json(out)
    log("minzheng restore into a fresh data directory …")
    env_dst = base_env(dst_dir, None)
    restore_s, out = run([str(BIN / "minzheng"), "restore", str(dump), "--yes"], env_dst, "restore")
    restored = sqlite_counts(sqlite_file(dst_dir))
    log("baseline: a file copy of the backup …")
    copy = work / "copy.sqlite3"
    start = time.perf_counter()
    shutil.copyfile(dump, copy)
    with open(copy, "rb+") as f:
        os.fsync(f.fileno())
    base_s = time.perf_counter() - start
    baseline = sqlite_counts(copy)
    return finish(info, source, restored, baseline, report, last_json(out), dump, backup_s,
                  restore_s, base_s, "file copy of the backup (+fsync)")  # fmt: skip


# --------------------------------------------------------------------------------------


BACKUP_INCLUDES = {
    "postgresql": "pg_dump -Fc + verification (restore into a scratch database, checksums)",
    "sqlite": "online backup API + verification (integrity check, checksums)",
}


def finish(
    info: dict[str, Any],
    source: dict[str, int],
    restored: dict[str, int],
    baseline: dict[str, int],
    backup_report: dict[str, Any],
    restore_report: dict[str, Any],
    dump: Path,
    backup_s: float,
    restore_s: float,
    base_s: float,
    base_what: str,
) -> dict[str, Any]:
    rows = sum(source.values())
    differ = [t for t in sorted(set(source) | set(restored)) if source.get(t) != restored.get(t)]
    base_differ = [t for t in sorted(set(source) | set(baseline)) if source.get(t) != baseline.get(t)]  # fmt: skip
    ok = bool(backup_report.get("verified")) and bool(restore_report.get("verified")) and not differ
    return {
        **info,
        "rows": rows,
        "persons_rows": source.get("registry_person"),
        "tables": len(source),
        "restore_s": round(restore_s, 1),
        "restore_rows_per_s": round(rows / restore_s) if restore_s else None,
        "backup_s": round(backup_s, 1),
        "backup_includes": BACKUP_INCLUDES[info["engine"]],
        "restore_includes": "pg_restore --clean --single-transaction / online backup API, then"
        " every table's rows and checksum read back (Python start and Django setup too)",
        "dump_bytes": dump.stat().st_size,
        "dump_mb": round(dump.stat().st_size / 2**20, 1),
        "backup_verified": backup_report.get("verified"),
        "restore_verified": restore_report.get("verified"),
        "row_counts_match": not differ,
        "mismatched_tables": differ,
        "baseline": base_what,
        "baseline_s": round(base_s, 1),
        "baseline_row_counts_match": not base_differ,
        "ratio": round(restore_s / base_s, 2) if base_s else None,
        "ok": ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument(
        "--engines", nargs="+", choices=["postgresql", "sqlite"], default=["postgresql", "sqlite"]
    )
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    ap.add_argument("--rebuild", action="store_true", help="load the population again")
    ap.add_argument("--out", type=Path, help="also write the lines to this JSON file")
    args = ap.parse_args()
    if urlsplit(args.pg).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("--pg must point at 127.0.0.1 (loopback only)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    lines = []
    for engine in args.engines:
        work = Path(tempfile.mkdtemp(prefix=f"run-{engine}-", dir=OUT_DIR))
        try:
            if engine == "postgresql":
                try:
                    pg(args.pg.rstrip("/"), "SELECT 1")
                except Exception as exc:  # no server: a skip, not a crash
                    line = {"bench": "restore", "engine": engine, "skipped": str(exc), "ok": None}
                    print(json.dumps(line), flush=True)
                    continue
                line = drill_postgresql(args, work)
            else:
                line = drill_sqlite(args, work)
            line["load_average"] = [round(x, 2) for x in os.getloadavg()]
            line["cpus"] = os.cpu_count()
            lines.append(line)
            print(json.dumps(line, ensure_ascii=False), flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        previous = json.loads(args.out.read_text("utf-8")) if args.out.exists() else {}
        runs = {f"{x['engine']}-{x['persons']}": x for x in previous.get("runs", [])}
        runs.update({f"{x['engine']}-{x['persons']}": x for x in lines})
        doc = {"bench": "restore", "runs": list(runs.values())}
        args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()

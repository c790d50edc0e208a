"""Fault campaign: kill -9 jobs and the server mid-work, stop PostgreSQL, fill the disk.

    .venv/bin/python bench/fault_campaign.py [--kinds import,engine,roster,web,postgres,disk]
                                             [--kills 20] [--rows 20000] [--db sqlite,postgresql]
                                             [--short] [--pg-url postgres://…/NAME] [--source HEAD]

FIGURES, per kind and database: faults made (kills mid-work, restarts, disk-full runs),
kills that came too late (the job had finished: not counted, the point is tried again,
at most 3 × --kills trials), committed rows lost, duplicates, half-written
households / result sets / edits, records left "running" by a dead process, and the
median / max time to recover (re-run to completion; for the web server, time to its
first 200; for PostgreSQL, from its restart to the first page, without restarting the
app). Targets: lost 0, duplicates 0, half-written 0. Every kind runs in throwaway
directories and databases on 127.0.0.1 (a private PostgreSQL cluster, never the shared
server's service); all of it is removed afterwards. ``--short`` is the CI campaign
(3 kills per job kind on small data; tests/ops/test_faults.py). Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.faults import report  # noqa: E402
from bench.faults.campaign import KINDS, Plan, run  # noqa: E402


def parse(argv: list[str] | None = None) -> Plan:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--kinds", default=",".join(KINDS), help="Comma-separated, from: %(default)s")
    ap.add_argument("--kills", type=int, help="Kills per job kind and database (default 20).")
    ap.add_argument("--rows", type=int, help="Rows of the import file and persons loaded.")
    ap.add_argument("--db", default="sqlite,postgresql", help="Databases for the job kinds.")
    ap.add_argument("--short", action="store_true", help="The CI campaign: 3 kills, small data.")
    ap.add_argument(
        "--pg-url",
        default="",
        help="A database URL: the job kinds' databases go on its server, named after it "
        "(default: a private cluster).",
    )
    ap.add_argument(
        "--source",
        default="worktree",
        help="Run a copy of the working tree (default) or of a commit (HEAD, a hash…).",
    )
    ap.add_argument("--keep", action="store_true", help="Keep the working directory (logs).")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    unknown = set(args.kinds.split(",")) - set(KINDS)
    if unknown:
        ap.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    sizes = {"kills": args.kills, "rows": args.rows, "persons": args.rows}
    given = {k: v for k, v in sizes.items() if v is not None}
    if args.kills is not None and not args.short:
        given.update(disk_rounds=args.kills, pg_rounds=args.kills)
    common = {
        "kinds": tuple(args.kinds.split(",")),
        "dbs": tuple("postgresql" if d.startswith("postgres") else d for d in args.db.split(",")),
        "pg_url": args.pg_url,
        "source": args.source,
        "keep": args.keep,
        "seed": args.seed,
    }
    return Plan.short(**common, **given) if args.short else Plan(**{**common, **given})


def setting() -> str:
    """Where the figures come from: commit, uncommitted files, machine load."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.count("\n")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"commit {head or '?'} (+{dirty} modified files), {os.cpu_count()} CPUs, load {load}"


def main(argv: list[str] | None = None) -> int:
    plan = parse(argv)
    # SIGTERM unwinds like Ctrl-C, so every directory, database, process and mount goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"fault campaign (pid {os.getpid()}): {setting()}", file=sys.stderr)
    summaries = run(plan)
    print(report.table(summaries))
    for s in summaries:
        print(report.details(s))
    print(report.json_lines(summaries))
    return 0 if all(s.ok for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Monthly roster generation for one county with N enrolments (default 100,000).

    .venv/bin/python bench/bench_roster.py [--enrolments 100000] [--database-url URL]

A fresh database (SQLite in a temp dir, or the PostgreSQL URL given) gets a synthetic
population of N households in one county (``minzheng synth`` + the bulk loader) and one
active 低保 enrolment per household. Then, in the same run:

* FIGURE — ``roster_generate`` for the county and month (queries, the payment rows, the
  bank-file lines, totals and checksum, the audit row), then the same call again (the
  idempotent regeneration a county runs when something changed), and the bank-file export;
* BASELINE — one ``INSERT … SELECT`` writing the same payment rows straight from the
  enrolment table (no checks, no checksum): the floor cost of writing them.

Target (issue #5): ≤ 10 s for 100,000 enrolments. Prints one JSON line.

Row for bench/README.md::

    | `bench_roster.py` | seconds to generate (and regenerate) a county's monthly roster of 100,000 enrolments | one INSERT … SELECT of the same payment rows | ≤ 10 s |
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

MONTH = dt.date(2024, 10, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enrolments", type=int, default=100_000)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mz-bench-roster-"))
    os.environ["MINZHENG_DATA_DIR"] = str(tmp)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from minzheng.cli import setup_django

    setup_django()
    from django.db import connection

    from minzheng.assistance.models import Enrolment, Payment, Roster
    from minzheng.assistance.payments import roster_export, roster_generate
    from minzheng.core.setup import initialise
    from minzheng.divisions.models import Division
    from minzheng.registry.bulk import population_load
    from minzheng.registry.models import Household
    from minzheng.synth import generate, write

    if args.database_url:
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    list(initialise())
    # About 2.6 persons a household: generate enough persons for N households.
    pop = generate(persons=int(args.enrolments * 2.7), province="44", counties=["440106"], seed=3)
    write(pop, tmp / "pop")
    population_load(directory=tmp / "pop", on=pop.as_of)
    county = Division.objects.current().get(code="440106000000")
    households = list(
        Household.objects.filter(head__isnull=False).values_list("pk", "head_id")[: args.enrolments]
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                programme="dibao",
                household_id=h,
                payee_id=p,
                division=county,
                amount_fen=50000 + (h % 997) * 100,
                valid_from=dt.date(2024, 1, 1),
            )
            for h, p in households
        ],
        batch_size=5000,
    )
    n = len(households)

    t = time.perf_counter()
    first = roster_generate(actor=None, county=county, programme="dibao", month=MONTH)
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    again = roster_generate(actor=None, county=county, programme="dibao", month=MONTH)
    regen = time.perf_counter() - t
    t = time.perf_counter()
    roster_export(first.roster, tmp / "bank.xlsx")
    export = time.perf_counter() - t

    # Baseline: the same rows in one statement, into a copy of the payment table's roster.
    baseline_roster = Roster.objects.create(division=county, programme="tekun", month=MONTH)
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Payment._meta.db_table} "
            "(roster_id, enrolment_id, payee_id, programme, month, kind, amount_fen, status, bank_reason) "
            "SELECT %s, id, payee_id, 'tekun', %s, 'regular', amount_fen, 'pending', '' "
            f"FROM {Enrolment._meta.db_table} WHERE division_id = %s AND programme = 'dibao'",
            [baseline_roster.pk, MONTH, county.pk],
        )
    base = time.perf_counter() - t
    out = {
        "bench": "roster_generate",
        "database": connection.vendor,
        "enrolments": n,
        "rows": first.roster.rows,
        "total_yuan": first.roster.total_fen // 100,
        "seconds": round(seconds, 2),
        "regenerate_seconds": round(regen, 2),
        "regenerate_created": again.created,
        "same_checksum": again.roster.checksum == first.roster.checksum,
        "export_xlsx_seconds": round(export, 2),
        "baseline": "one INSERT … SELECT of the same rows",
        "baseline_seconds": round(base, 2),
        "ratio": round(seconds / base, 1) if base else None,
        "target_s": 10,
        "ok": seconds <= 10 and again.created == 0,
    }
    print(json.dumps(out, ensure_ascii=False))
    if not out["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Roster generation for the fault campaign: a quarter's monthly rosters, county by county.

    .venv/bin/python bench/faults/roster_pass.py --first 2024-07-01 --months 3 \
        --counties 440106,440104

Each (county, month) is one call of ``minzheng.assistance.payments.roster_generate`` (one
transaction; regenerating is idempotent), reported as the fault campaign reads progress:
``planned <n>``, ``writing <key>``, ``written <key> <regular payments>``, ``done``; the key
is ``dibao:<county>:<YYYY-MM>``. Settings come from the environment, as for ``minzheng``.
"""

from __future__ import annotations

import argparse
import datetime as dt


def months(first: dt.date, n: int) -> list[dt.date]:
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(n)]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--first", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--counties", required=True, help="Comma-separated 6-digit codes.")
    args = ap.parse_args(argv)
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.models import Payment
    from minzheng.assistance.payments import roster_generate
    from minzheng.divisions.models import Division

    counties = [
        Division.objects.current().get(code=c.ljust(12, "0")) for c in args.counties.split(",")
    ]
    todo = [(m, c) for m in months(args.first, args.months) for c in counties]
    print(f"planned {len(todo)}", flush=True)
    for month, county in todo:
        key = f"dibao:{county.code[:6]}:{month:%Y-%m}"
        print(f"writing {key}", flush=True)
        got = roster_generate(actor=None, county=county, programme="dibao", month=month)
        rows = Payment.objects.filter(roster=got.roster, kind="regular").count()
        print(f"written {key} {rows}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()

"""Statistics dashboard server time from snapshots: section pages and the big screen at
the nation, province and county levels (issue #7: p95 ≤ 200 ms).

    .venv/bin/python bench/bench_dashboard.py [--townships 4] [--periods 2] [--requests 50]
                                              [--database-url postgres://…/mz_bench_dash]

Setup: a fresh database (SQLite in a temp dir, or the PostgreSQL URL given, flushed) with
the official division list (every province, prefecture and county: ~2,850 counties), and
``--periods`` quarterly snapshots written straight as ``SnapshotValue`` rows — every
computed indicator of the catalogue with its dimensions (sex × age band, layers, urban)
for the nation, each province, prefecture and county and ``--townships`` synthetic
townships per county; county figures random, parents their exact sums, ratios from their
summed parts, as ``minzheng stats snapshot`` stores them (PostgreSQL: then ANALYZE, as
autovacuum would soon after a snapshot; SQLite is left without statistics, as deployed).

FIGURE: server time of ``GET`` through Django's test ``Client`` (middleware, session,
jurisdiction, queries, template) of ``stats:section`` (assistance and monitoring) and
``stats:bigscreen`` for an analyst of the nation, of Guangdong and of one of its counties:
``--requests`` timed requests each after one warm-up; p50 / p95 / max in ms.
BASELINE (same run): the bare ``values_list`` SELECT of the rows the page shows (the
division's and its children's figures of the section), same number of repetitions; the
ratio of p95s is the page's overhead over reading its data. One JSON line per page and
level, then a summary; all written to ``bench/results/dashboard.json``.

Row for bench/README.md::

    | `bench_dashboard.py` | server time (p50/p95, Django test Client) of the statistics section pages and the big screen for analysts at nation / province / county, from snapshots of every county (~2,850) plus synthetic townships (0.85 M values for 2 quarters) | the bare ORM SELECT of the rows each page shows (ratio of p95s) | p95 ≤ 200 ms |
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "dashboard.json"
TARGET_P95_MS = 200.0
PERIODS = ["2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"]
# Dimension combinations per indicator (the shapes compute.py writes).
SEXES, BANDS = ("1", "2"), ("0-17", "18-59", "60+", "unknown")
LAYERS = ("dibao", "tekun", "fanpin", "bianyuan", "gangxing", "other")


def _dims(code: str) -> list[dict[str, Any]]:
    if code == "MN01":
        return [{"age_band": b, "sex": s} for s in SEXES for b in BANDS]
    if code == "MN02":
        return [{"sex": s} for s in SEXES]
    if code == "MN10":
        return [{"layer": layer} for layer in LAYERS]
    if code == "EX03":
        return [{"urban": True}, {"urban": False}]
    return [{}]


def leaf_figures(rng: random.Random, codes: list[str]) -> dict[tuple[str, str], int]:
    """``(indicator, dims_key) → value`` for one township, shaped like real ones."""
    from minzheng.stats.compute import dims_key

    size = rng.randint(200, 4000)
    out: dict[tuple[str, str], int] = {}
    for code in codes:
        for dims in _dims(code):
            share = {"SA01": 0.02, "SA02": 0.01, "SA11": 0.05, "SA12": 0.025, "SA21": 0.004,
                     "SA22": 0.01, "SA31": 0.01, "MN02": 0.5, "MN01": 0.02, "MN10": 0.02,
                     "EX03": 0.02 * 60_000, "SA91": 0.02 * 80_000, "SA92": 0.05 * 60_000}  # fmt: skip
            out[(code, dims_key(dims))] = int(size * share.get(code, 0.01) * rng.uniform(0.5, 1.5))
    return out


def build(townships: int, periods: list[str], seed: int = 7) -> dict[str, Any]:
    """Write the snapshots; returns counts and the codes of the divisions measured."""
    from minzheng.divisions.models import Division, code_prefix
    from minzheng.stats.catalogue import catalogue
    from minzheng.stats.compute import PREFIX, ratio_value
    from minzheng.stats.models import Snapshot
    from minzheng.stats.periods import parse_period

    cat = catalogue()
    additive = [i.code for i in cat.computed() if i.additive]
    ratios = [i for i in cat.computed() if i.kind == "ratio"]
    ids: dict[tuple[int, str], int] = {}
    for pk, code, level in (
        Division.objects.current().filter(level__lte=3).values_list("pk", "code", "level")
    ):
        ids[(level, code_prefix(code, level))] = pk
    counties = sorted(p for (lvl, p) in ids if lvl == 3)
    rng = random.Random(seed)
    rows = 0
    for period in periods:
        p = parse_period(period)
        snap = Snapshot.objects.create(
            period=p.label, period_start=p.start, period_end=p.end, version=1,
            code_version="bench", registry_as_of=p.end,
        )  # fmt: skip
        sums: dict[tuple[int, str, str, str], int] = defaultdict(int)
        for county in counties:
            for t in range(townships):
                town = f"{county}{t + 1:03d}"
                for (code, key), value in leaf_figures(rng, additive).items():
                    for level, digits in PREFIX.items():
                        sums[(level, town[:digits], code, key)] += value
            if not townships:  # figures at county level and up only
                for (code, key), value in leaf_figures(rng, additive).items():
                    for level, digits in PREFIX.items():
                        if level <= 3:
                            sums[(level, county[:digits], code, key)] += value
        out: list[tuple[Any, ...]] = [
            (snap.pk, code, level, div, ids.get((level, div)), key, key, Decimal(value), None, None)
            for (level, div, code, key), value in sums.items()
        ]
        for r in ratios:
            num, den = r.ratio or ("", "")
            for level, div in {(lv, d) for (lv, d, c, _k) in sums if c == den}:
                n, d = sums[(level, div, num, "{}")], sums[(level, div, den, "{}")]
                q = ratio_value(n, d, r.factor)
                out.append(
                    (snap.pk, r.code, level, div, ids.get((level, div)), "{}", "{}", q, n, d)
                )
        insert(out)
        rows += len(out)
    county = next(c for c in counties if c.startswith("44"))
    return {"rows": rows, "counties": len(counties), "county": county}


def insert(rows: list[tuple[Any, ...]]) -> None:
    """Write snapshot values with one executemany per 20,000 (the ORM's objects cost more
    than the database here; the rows are the ones ``stats_snapshot`` would write)."""
    from django.db import connection, transaction

    from minzheng.stats.models import SnapshotValue

    table = SnapshotValue._meta.db_table
    cols = "snapshot_id, indicator, level, division_code, division_id, dims, dims_key, value, "
    sql = f"INSERT INTO {table} ({cols}numerator, denominator) VALUES ({', '.join(['%s'] * 10)})"
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, len(rows), 20_000):
            cur.executemany(sql, rows[i : i + 20_000])
    if connection.vendor == "postgresql":  # what autovacuum does after a snapshot, at once
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {table}")


def make_user(username: str, division: str, role: str) -> Any:
    """An analyst bound to the division of code prefix ``division`` ("" = the nation)."""
    from django.contrib.auth.models import Group

    from minzheng.accounts.models import User
    from minzheng.divisions.models import Division

    place = Division.objects.current().get(code=division.ljust(12, "0"))
    user = User.objects.create_user(username=username, password=None, division=place)
    user.groups.add(Group.objects.get(name=role))
    return user


def timed(fn: Any, n: int) -> list[float]:
    fn()  # warm-up: caches, template loading, first connection
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "max_ms": round(max(ms), 1)}


def measure(args: argparse.Namespace, county: str) -> list[dict[str, Any]]:
    from django.test import Client
    from django.urls import reverse

    from minzheng.stats import dash
    from minzheng.stats.models import SnapshotValue

    period = dash.latest_period()
    snap = dash.snapshot_of(period)
    levels = {"nation": "", "province": "44", "county": county}
    out = []
    for level, division in levels.items():
        client = Client()
        client.force_login(make_user(f"bench_{level}", division, "analyst"))
        pages = {
            "section_assistance": (reverse("stats:section", args=["assistance"]), "assistance"),
            "section_monitoring": (reverse("stats:section", args=["monitoring"]), "monitoring"),
            "bigscreen": (reverse("stats:bigscreen"), "assistance"),
        }
        for page, (url, section) in pages.items():

            def get(url: str = url, client: Any = client) -> None:
                resp = client.get(url, {"period": period})
                assert resp.status_code == 200, (url, resp.status_code)

            codes = [i.code for i in dash.section_indicators(section) if not i.entered]
            near = dash.near(division)
            qs = SnapshotValue.objects.filter(snapshot=snap, indicator__in=codes, **near)
            fields = ("indicator", "division_code", "division_id", "value", "dims_key")

            def select(qs: Any = qs, fields: tuple[str, ...] = fields) -> None:
                list(qs.values_list(*fields))

            fig = summary(timed(get, args.requests))
            base = summary(timed(select, args.requests))
            out.append({
                "bench": "stats_dashboard", "page": page, "level": level,
                "division": division or "nation", "rows_read": qs.count(), **fig,
                "baseline_p95_ms": base["p95_ms"], "baseline_p50_ms": base["p50_ms"],
                "ratio_p95": round(fig["p95_ms"] / base["p95_ms"], 1) if base["p95_ms"] else None,
                "target_p95_ms": TARGET_P95_MS, "ok": fig["p95_ms"] <= TARGET_P95_MS,
            })  # fmt: skip
            print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--townships", type=int, default=4, help="synthetic townships per county")
    ap.add_argument("--periods", type=int, default=2, help="quarterly snapshots (trend length)")
    ap.add_argument("--requests", type=int, default=50, help="timed requests per page and level")
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mz-bench-dash-"))
    os.environ["MINZHENG_DATA_DIR"] = str(tmp)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    from minzheng.cli import setup_django

    setup_django()
    from django.db import connection

    from minzheng.core.setup import initialise

    if args.database_url:
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    t = time.perf_counter()
    list(initialise(townships=False))
    ready = time.perf_counter() - t
    built = build(args.townships, PERIODS[-max(1, min(args.periods, len(PERIODS))) :])
    setup = time.perf_counter() - t
    results = measure(args, built["county"])
    total = {
        "bench": "stats_dashboard_summary", "database": connection.vendor,
        "snapshot_rows": built["rows"], "counties": built["counties"],
        "townships_per_county": args.townships, "periods": args.periods,
        "requests": args.requests, "setup_s": round(setup, 1),
        "initialise_s": round(ready, 1),
        "worst_p95_ms": max(r["p95_ms"] for r in results),
        "all_within_target": all(r["ok"] for r in results), "target_p95_ms": TARGET_P95_MS,
    }  # fmt: skip
    print(json.dumps(total), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": total, "pages": results}, indent=1) + "\n")
    connection.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Cost of row-level security on the registry's list pages (ADR 005).

    DATABASE_URL=postgres://postgres@…/db .venv/bin/python bench_rls.py --app mzb_app

Needs a loaded database (minzheng synth --load) with migration accounts.0003 applied and
the roles created (minzheng db roles). The Django ORM builds the exact SQL of the pages
(households list: count + first page; persons search by name; a household file by uid);
psycopg runs it over fresh logins as the superuser (BASELINE: the application filter
alone, today's behaviour) and as the app role with ``minzheng.scope`` set (FIGURE: filter
+ policies; and policies alone). Prints median milliseconds and one EXPLAIN.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import django
import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
django.setup()

from django.db import connection  # noqa: E402

from minzheng.accounts import rls, scope  # noqa: E402
from minzheng.accounts.models import User  # noqa: E402
from minzheng.registry.models import Household  # noqa: E402
from minzheng.registry.selectors import SearchCriteria, households_search, persons_search  # noqa: E402


def queries(user: User, uid: object) -> dict[str, tuple[str, list]]:
    qs = households_search(user, SearchCriteria())
    out = {
        "households: count": qs.order_by().values("pk").query,
        "households: page 1": qs[:20].query,
        "persons: name 陈": persons_search(user, q="陈")[:20].query,
    }
    sqls = {}
    for name, q in out.items():
        sql, params = q.sql_with_params()
        if name.endswith("count"):
            sql = f"SELECT count(*) FROM ({sql}) c"
        sqls[name] = (sql, list(params))
    sql, params = Household.objects.visible_to(user).filter(uid=uid).query.sql_with_params()
    sqls["household: by uid"] = (sql, list(params))
    return sqls


def run_once(conn: psycopg.Connection, setting: str | None, sql: str, params: list) -> float:
    start = time.perf_counter()
    with conn.transaction():
        if setting is not None:
            conn.execute(rls.set_config_sql(setting))
        conn.execute(sql, params).fetchall()
    return time.perf_counter() - start


def interleaved(variants: dict, n: int) -> dict[str, float]:
    """Median ms of each variant, the variants taking turns (the machine is shared)."""
    took: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(n):
        for name, args in variants.items():
            took[name].append(run_once(*args))
    return {k: round(statistics.median(v) * 1000, 1) for k, v in took.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", default="minzheng_app")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--users", default="county1,province,nation")
    args = ap.parse_args()
    params = connection.get_connection_params()
    dsn = {k: params[k] for k in ("host", "port", "dbname", "user") if params.get(k)}
    su = psycopg.connect(**dsn)
    app = psycopg.connect(**{**dsn, "user": args.app})
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        setting = rls.setting_of(rls.scope_for(user))
        uid = Household.objects.visible_to(user).order_by("ref").values_list("uid", flat=True)[0]
        with_filter = queries(user, uid)
        real = scope.division_filter
        scope.division_filter = lambda s, *f: None  # type: ignore[assignment]
        try:
            without = queries(user, uid)
        finally:
            scope.division_filter = real
        for name, (sql, p) in with_filter.items():
            variants = {
                "baseline_ms": (su, None, sql, p),
                "filter_and_rls_ms": (app, setting, sql, p),
                "rls_alone_ms": (app, setting, *without[name]),
            }
            ms = interleaved(variants, args.runs)
            ms["ratio"] = round(ms["filter_and_rls_ms"] / ms["baseline_ms"], 2)
            print(
                json.dumps(
                    {"user": username, "scope": setting or "none", "query": name, **ms},
                    ensure_ascii=False,
                ),
                flush=True,
            )
    user = User.objects.get(username="county1")
    uid = Household.objects.visible_to(user).values_list("uid", flat=True)[0]
    sql, p = queries(user, uid)["households: page 1"]
    with app.transaction():
        app.execute(rls.set_config_sql(rls.setting_of(rls.scope_for(user))))
        plan = app.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, p
        ).fetchall()
    print("\n".join(r[0] for r in plan))


if __name__ == "__main__":
    main()

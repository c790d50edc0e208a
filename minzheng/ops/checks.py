"""``minzheng doctor``: what is wrong with this installation, in plain words."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from minzheng.paths import data_dir

MIN_FREE_BYTES = 1 << 30  # 1 GiB
MIN_FREE_SHARE = 0.05
MAX_CLOCK_SKEW = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str  # Chinese, then English
    fix: str = ""


def check_database() -> Check:
    """The database answers a query."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return Check("database", True, f"数据库可用 / database answers ({connection.vendor})")
    except Exception as exc:  # any driver error means the same thing to the operator
        return Check(
            "database",
            False,
            f"数据库无法连接 / database does not answer: {exc}",
            "检查 DATABASE_URL 与数据库服务 / check DATABASE_URL and the database server",
        )


def check_migrations() -> Check:
    """Every migration is applied."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return Check("migrations", False, f"无法读取迁移状态 / cannot read migrations: {exc}")
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return Check(
            "migrations",
            False,
            f"有 {len(plan)} 个迁移未执行 / {len(plan)} migrations not applied: {names}",
            "运行 / run: minzheng manage migrate",
        )
    return Check("migrations", True, "迁移已全部执行 / all migrations applied")


def check_static() -> Check:
    """Front-end files can be served (collected in production, installed in development)."""
    from django.contrib.staticfiles import finders

    if (
        finders.find("vendor/htmx/htmx.min.js")
        or (Path(settings.STATIC_ROOT) / "vendor/htmx/htmx.min.js").exists()
    ):
        return Check("static", True, "静态文件就绪 / static files present")
    return Check(
        "static",
        False,
        "缺少前端静态文件 htmx / front-end files missing",
        "运行 / run: make install (npm ci) 或 minzheng manage collectstatic",
    )


def check_disk(path: Path | None = None) -> Check:
    """The data directory's disk has room (≥ 1 GiB and ≥ 5 %)."""
    target = path or data_dir()
    target.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(target)
    free_gib = usage.free / (1 << 30)
    if usage.free < MIN_FREE_BYTES or usage.free < usage.total * MIN_FREE_SHARE:
        return Check(
            "disk",
            False,
            f"数据目录磁盘空间不足：剩余 {free_gib:.1f} GiB / "
            f"low disk space for {target}: {free_gib:.1f} GiB free",
            "清理旧备份或扩容 / remove old backups or add space",
        )
    return Check("disk", True, f"磁盘剩余 {free_gib:.1f} GiB / {free_gib:.1f} GiB free")


def check_clock() -> Check:
    """This machine's clock agrees with the database server's (deadlines depend on it)."""
    if connection.vendor != "postgresql":
        return Check(
            "clock", True, "内嵌数据库与应用同机，时钟一致 / embedded database: same clock"
        )
    with connection.cursor() as cur:
        cur.execute("SELECT now()")
        db_now = cur.fetchone()[0]
    skew = abs(timezone.now() - db_now)
    if skew > MAX_CLOCK_SKEW:
        return Check(
            "clock",
            False,
            f"本机与数据库时钟相差 {skew.total_seconds():.0f} 秒 / clock "
            f"differs from the database by {skew.total_seconds():.0f} s",
            "配置 NTP / set up NTP",
        )
    return Check("clock", True, "时钟一致 / clocks agree")


def check_row_security() -> Check:
    """On PostgreSQL the app's role is bound by the row-level security policies (ADR 005)."""
    from minzheng.accounts.rls import role_check

    ok, message, fix = role_check()
    return Check("rls", ok, message, fix)


CHECKS: list[Callable[[], Check]] = [
    check_database,
    check_migrations,
    check_row_security,
    check_static,
    check_disk,
    check_clock,
]


def run_checks() -> list[Check]:
    """Every check; later ones are skipped when the database is down."""
    results = [check_database()]
    if not results[0].ok:
        return results
    return results + [c() for c in CHECKS[1:]]

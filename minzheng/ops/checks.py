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


QUEUE_WAIT = dt.timedelta(minutes=5)


def check_jobs() -> Check:
    """No background job lost its worker, and queued jobs are being picked up."""
    from minzheng.jobs.models import Job
    from minzheng.jobs.recovery import stale_after, stale_jobs

    now = timezone.now()
    stale = list(stale_jobs(now).values_list("label", "task_path")[:100])
    waiting = Job.objects.filter(status="READY", enqueued_at__lt=now - QUEUE_WAIT).exclude(
        run_after__gt=now
    )
    if stale:
        names = "、".join((label or path.rsplit(".", 1)[-1]) for label, path in stale[:3])
        secs = int(stale_after().total_seconds())
        return Check(
            "jobs",
            False,
            f"有 {len(stale)} 个后台任务的工作进程已停止（超过 {secs} 秒没有心跳）：{names} / "
            f"{len(stale)} background jobs lost their worker (no heartbeat for {secs} s)",
            "启动或重启后台任务进程（systemctl restart minzheng-worker），它会把可安全重跑的任务"
            "重新排队，其余标为“已中断” / start or restart the worker: it re-queues the jobs that "
            "are safe to re-run and marks the others interrupted",
        )
    if n := waiting.count():
        return Check(
            "jobs",
            False,
            f"有 {n} 个后台任务排队超过 {QUEUE_WAIT.seconds // 60} 分钟无人处理，后台任务进程可能"
            f"没有运行 / {n} jobs have waited over {QUEUE_WAIT.seconds // 60} minutes: "
            "is the worker running?",
            "systemctl status minzheng-worker；检查 REDIS_URL / check REDIS_URL",
        )
    week = Job.objects.filter(status="INTERRUPTED", finished_at__gte=now - dt.timedelta(days=7))
    note = f"；近 7 天有 {k} 个任务中断未重跑（见任务中心）" if (k := week.count()) else ""
    note_en = f"; {k} jobs interrupted in the last 7 days (see the job centre)" if k else ""
    return Check("jobs", True, f"后台任务正常{note} / background jobs healthy{note_en}")


CHECKS: list[Callable[[], Check]] = [
    check_database,
    check_migrations,
    check_row_security,
    check_jobs,
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

"""Periodic work the worker starts on its own: the nightly monitoring pass, the morning
deadlines round (overdue warnings and cases escalated, enrolments expired), the month-end
registry snapshot and last month's statistics snapshot.

Each entry enqueues an ordinary job (visible with its progress in the job centre, run by
the system account), so a scheduled run and a run started by hand are the same thing.
``MINZHENG_SCHEDULES`` in the settings overrides the times (cron fields: minute, hour,
day of month, month, day of week) or switches an entry off with ``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django_tasks import task

# name → (minute, hour, day, month, day of week), task path, label
SCHEDULES: dict[str, tuple[tuple[str, str, str, str, str], str, str]] = {
    "monitor_nightly": (("0", "2", "*", "*", "*"), "minzheng.monitoring.tasks.monitor_task",
                        "夜间监测比对 nightly monitoring pass"),
    "deadlines_daily": (("30", "6", "*", "*", "*"), "minzheng.jobs.schedule.deadlines_task",
                        "逾期督办与到期处理 deadlines round"),
    "snapshot_monthly": (("0", "3", "1", "*", "*"), "minzheng.jobs.schedule.snapshot_task",
                         "月末数据快照 month-end snapshot"),
    "stats_monthly": (("0", "4", "1", "*", "*"), "minzheng.stats.tasks.stats_snapshot_task",
                      "月度统计快照 monthly statistics snapshot"),
}  # fmt: skip


def schedules() -> dict[str, tuple[tuple[str, ...], str, str]]:
    """The schedule in force: the defaults with the settings' overrides (None = off)."""
    out: dict[str, tuple[tuple[str, ...], str, str]] = {}
    overrides = getattr(settings, "MINZHENG_SCHEDULES", {}) or {}
    for name, (cron, path, label) in SCHEDULES.items():
        if name in overrides and overrides[name] is None:
            continue
        out[name] = (tuple(overrides.get(name) or cron), path, label)
    return out


def enqueue_scheduled(name: str) -> str:
    """Submit the scheduled job ``name`` as the system account; returns the job id."""
    from django.utils.module_loading import import_string

    from minzheng.accounts.services import system_actor
    from minzheng.jobs.services import job_submit

    _, path, label = schedules()[name]
    return job_submit(import_string(path), actor=system_actor(), label=label).pk


def register(huey: Any) -> list[str]:
    """Register every scheduled entry as a huey periodic task (the worker calls this)."""
    from huey import crontab

    names = []
    for name, (cron, _, _) in schedules().items():
        minute, hour, day, month, day_of_week = cron

        def fire(name: str = name) -> None:
            enqueue_scheduled(name)

        fire.__name__ = f"scheduled_{name}"
        huey.periodic_task(
            crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week),
            name=f"minzheng.schedule.{name}",
        )(fire)
        names.append(name)
    return names


@task()
def deadlines_task(today: str | None = None) -> dict:
    """Escalate overdue warnings and cases to the county; end expired enrolments."""
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.assistance.cases import cases_escalate
    from minzheng.assistance.enrolments import enrolments_expire
    from minzheng.monitoring.services import alerts_escalate

    day = dt.date.fromisoformat(today) if today else dt.date.today()
    with acting(EVERYTHING):
        return {
            "alerts_escalated": alerts_escalate(day),
            "cases_escalated": cases_escalate(day),
            "enrolments_expired": enrolments_expire(day),
        }


@task()
def snapshot_task(on: str | None = None) -> dict:
    """The registry as it stood at the end of last month, as Parquet under the data
    directory (``snapshots/YYYY-MM``): the statistics of that month are computed from it."""
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.engine.snapshot import snapshot_take
    from minzheng.paths import data_dir

    day = dt.date.fromisoformat(on) if on else dt.date.today().replace(day=1) - dt.timedelta(1)
    with acting(EVERYTHING):
        snap = snapshot_take(on=day)
    out = snap.write(data_dir() / "snapshots" / f"{day:%Y-%m}")
    return {"as_of": day.isoformat(), "dir": str(out),
            "rows": {n: t.num_rows for n, t in snap.tables.items()}}  # fmt: skip

"""Background tasks of statistics (enqueued with django-tasks, run by the worker)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def stats_snapshot_task(period: str | None = None) -> dict:
    """The statistics snapshot of ``period`` (default: last month, as 2024-07)."""
    from minzheng.stats.services import stats_snapshot

    if not period:
        period = f"{dt.date.today().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    return summary(stats_snapshot(period))


def summary(snap: object) -> dict:
    from minzheng.stats.models import Snapshot

    assert isinstance(snap, Snapshot)
    return {
        "period": snap.period,
        "version": snap.version,
        "provisional": snap.provisional,
        "registry_as_of": snap.registry_as_of.isoformat(),
        "code_version": snap.code_version,
        "rows": snap.rows,
        "seconds": snap.seconds,
        "inputs": snap.inputs,
    }

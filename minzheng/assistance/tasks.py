"""Background tasks of assistance (enqueued with django-tasks, run by the worker)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def simulate_task(division: str, changes: list[str], on: str) -> dict:
    """A policy simulation over the registry; the result table is the job's return value."""
    from minzheng.assistance.services import simulation_run

    result = simulation_run(division=division, changes=changes, on=dt.date.fromisoformat(on))
    return result.as_dict()

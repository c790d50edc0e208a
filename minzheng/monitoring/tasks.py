"""Background tasks of monitoring (enqueued with django-tasks, run by the huey worker)."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from minzheng.monitoring.feeds.jobs import run_feed_import


@task()
def import_feed_file(batch_id: int, kind: str, path: str, user_id: int) -> dict:
    """Import an uploaded feed file of ``kind`` for FeedBatch ``batch_id``."""
    run_feed_import(batch_id, kind, Path(path), user_id)
    from minzheng.monitoring.models import FeedBatch

    batch = FeedBatch.objects.get(pk=batch_id)
    return {"status": batch.status, "rows": batch.rows, "rejected": batch.rejected}


@task()
def monitor_task(as_of: str | None = None, engine: str = "duckdb") -> dict:
    """The monitoring pass (nightly by the schedule, or on demand); its summary is the result."""
    import datetime as dt

    from minzheng.jobs.runner import job_progress
    from minzheng.monitoring.passes import monitor_run

    day = dt.date.fromisoformat(as_of) if as_of else None
    summary = monitor_run(as_of=day, engine=engine,
                          progress=lambda d, t: job_progress(d, t, "监测 monitoring"))  # fmt: skip
    return summary.as_dict()

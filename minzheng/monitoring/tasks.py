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

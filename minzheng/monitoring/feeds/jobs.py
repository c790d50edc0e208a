"""Running an uploaded feed's import as a background job (the worker calls :func:`run_feed_import`)."""

from __future__ import annotations

from pathlib import Path

from minzheng.accounts.models import User
from minzheng.jobs.models import Job
from minzheng.monitoring.feeds.importing import KindError, UnreadableFile, feed_import
from minzheng.monitoring.models import FeedBatch


def _fail(batch_id: int, message: str, message_en: str) -> None:
    batch = FeedBatch.objects.get(pk=batch_id)
    FeedBatch.objects.filter(pk=batch_id).update(
        status=FeedBatch.Status.FAILED,
        report={**batch.report, "message": message, "message_en": message_en},
    )


def run_feed_import(batch_id: int, kind: str, path: Path, user_id: int) -> None:
    """Import ``path`` for ``batch_id``; an unreadable file ends the batch as failed with why."""
    from minzheng.jobs.runner import job_progress

    batch = FeedBatch.objects.get(pk=batch_id)
    actor = User.objects.get(pk=user_id)
    try:
        feed_import(
            kind=kind,
            path=path,
            actor=actor,
            batch=batch,
            progress=lambda done, total: job_progress(done, total),
        )
    except (UnreadableFile, KindError) as exc:
        _fail(batch_id, exc.message, exc.message_en)
    except Exception as exc:  # a crash: the batch says so; committed chunks stay consistent
        _fail(
            batch_id,
            "导入中断，请重新导入（已导入的数据不会重复）",
            f"import interrupted ({type(exc).__name__}); run it again",
        )
        raise


def start_feed_import(batch_id: int, kind: str, path: Path, user: User) -> Job:
    """Queue the import of an uploaded feed file for the worker."""
    from minzheng.jobs.services import job_submit
    from minzheng.monitoring.tasks import import_feed_file

    return job_submit(
        import_feed_file,
        batch_id,
        kind,
        str(path),
        user.pk,
        actor=user,
        label=f"导入部门数据 {path.name}",
    )

"""Running an upload's import as a background job (the worker calls :func:`run_import`)."""

from __future__ import annotations

from pathlib import Path

from minzheng.accounts.models import User
from minzheng.registry.importing.readers import UnreadableFile
from minzheng.registry.importing.service import registry_import
from minzheng.registry.models import ImportBatch


def run_import(batch_id: int, path: Path, user_id: int) -> None:
    """Import ``path`` for ``batch_id``; an unreadable file ends the batch as failed with why."""
    from minzheng.jobs.runner import job_progress

    batch = ImportBatch.objects.get(pk=batch_id)
    actor = User.objects.get(pk=user_id)
    try:
        registry_import(
            actor=actor,
            path=path,
            batch=batch,
            progress=lambda done, total: job_progress(done, total),
        )
    except UnreadableFile as exc:
        ImportBatch.objects.filter(pk=batch_id).update(
            status="failed",
            report={**batch.report, "message": exc.message, "message_en": exc.message_en},
        )
    except Exception as exc:  # a crash: the batch says so; committed chunks stay consistent
        ImportBatch.objects.filter(pk=batch_id).update(
            status="failed",
            report={
                **batch.report,
                "message": "导入中断，请重新导入（已导入的数据不会重复）",
                "message_en": f"import interrupted ({type(exc).__name__}); run it again",
            },
        )
        raise


def start_import(batch_id: int, path: Path, user: User) -> None:
    """Queue the import of an uploaded file for the worker."""
    from minzheng.jobs.services import job_submit
    from minzheng.registry.tasks import import_registry_file

    job_submit(
        import_registry_file, batch_id, str(path), user.pk, actor=user, label=f"导入 {path.name}"
    )

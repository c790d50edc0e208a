"""Background tasks of the registry (enqueued with django-tasks, run by the huey worker)."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from minzheng.registry.importing.jobs import run_import


@task()
def import_registry_file(batch_id: int, path: str, user_id: int) -> dict:
    """Import an uploaded registry file for ImportBatch ``batch_id``."""
    run_import(batch_id, Path(path), user_id)
    from minzheng.registry.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    return {"status": batch.status, "rows": batch.rows}

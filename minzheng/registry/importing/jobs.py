"""Running an upload's import off the request thread.

Until the background worker lands (operations issue), the web process runs it in a
thread; ``MINZHENG_INLINE_JOBS`` (tests) runs it before the response instead.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from minzheng.accounts.models import User
from minzheng.registry.importing.readers import UnreadableFile
from minzheng.registry.importing.service import registry_import
from minzheng.registry.models import ImportBatch


def run_import(batch_id: int, path: Path, user_id: int) -> None:
    """Import ``path`` for ``batch_id``; an unreadable file ends the batch as failed with why."""
    batch = ImportBatch.objects.get(pk=batch_id)
    actor = User.objects.get(pk=user_id)
    try:
        registry_import(actor=actor, path=path, batch=batch)
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


def _thread_main(batch_id: int, path: Path, user_id: int) -> None:
    close_old_connections()
    try:
        run_import(batch_id, path, user_id)
    finally:
        close_old_connections()


def start_import(batch_id: int, path: Path, user_id: int) -> None:
    """Start the import of an uploaded file."""
    if getattr(settings, "MINZHENG_INLINE_JOBS", False):
        with contextlib.suppress(Exception):  # recorded on the batch; the page shows it
            run_import(batch_id, path, user_id)
        return
    threading.Thread(target=_thread_main, args=(batch_id, path, user_id), daemon=True).start()

"""Running one job in the worker: status, progress, heartbeat, cancellation, outcome."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks.utils import get_exception_traceback, get_module_path, normalize_json

from minzheng.accounts.rls import acting_as
from minzheng.jobs.models import Job
from minzheng.jobs.recovery import heartbeat_seconds, stale_jobs, worker_id

log = logging.getLogger("minzheng.jobs")
current_job: ContextVar[str | None] = ContextVar("minzheng_job", default=None)


class JobCancelled(Exception):
    """Raised inside a task by :func:`job_progress` once a cancel was requested."""


def job_progress(done: int, total: int, message: str = "") -> None:
    """Report progress of the running job (a no-op outside a job); stops a cancelled job."""
    job_id = current_job.get()
    if job_id is None:
        return
    Job.objects.filter(pk=job_id).update(
        progress_done=done, progress_total=total, message=message[:300], heartbeat_at=timezone.now()
    )
    if Job.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise JobCancelled(job_id)


def _fresh_connection() -> None:
    # A worker thread reuses its connection across jobs; never inside a caller's transaction
    # (inline jobs in tests), where Django would drop the connection it is using.
    if not connection.in_atomic_block:
        close_old_connections()


@contextmanager
def heartbeat(job_id: str) -> Iterator[None]:
    """Write the job's heartbeat every few seconds from a thread while the block runs.

    Inline jobs (tests) run inside the caller's transaction, where a second connection
    would wait on its locks: there the start and each progress report are the heartbeat.
    """
    from minzheng.jobs.queue import huey_app

    if huey_app().immediate:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_seconds()):
                try:
                    Job.objects.filter(pk=job_id, status=TaskResultStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # a busy database: the next beat tries again
                    log.warning("heartbeat of job %s not written", job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _running_elsewhere(job: Job) -> bool:
    """Another worker holds the job (its heartbeat is fresh): a duplicate message."""
    return job.status == TaskResultStatus.RUNNING and not stale_jobs().filter(pk=job.pk).exists()


def run_job(job_id: str, worker: str = "") -> str:
    """Execute job ``job_id`` (called by huey); returns its final status."""
    _fresh_connection()
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status in (TaskResultStatus.SUCCESSFUL, "CANCELLED", "INTERRUPTED"):
        return job.status if job else "MISSING"
    if _running_elsewhere(job):
        return TaskResultStatus.RUNNING
    if job.cancel_requested:
        Job.objects.filter(pk=job_id).update(status="CANCELLED", finished_at=timezone.now())
        return "CANCELLED"
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=TaskResultStatus.RUNNING,
        started_at=now,
        last_attempted_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        worker_ids=[*job.worker_ids, worker or worker_id()],
    )
    token = current_job.set(job_id)
    try:
        task = import_string(job.task_path)
        with heartbeat(job_id), acting_as(job.actor):  # RLS: the job sees what its actor sees
            if task.takes_context:
                from minzheng.jobs.backend import HueyBackend

                result = HueyBackend.result_of(Job.objects.get(pk=job_id), task)
                value = task.call(TaskContext(task_result=result), *job.args, **job.kwargs)
            else:
                value = task.call(*job.args, **job.kwargs)
    except JobCancelled:
        Job.objects.filter(pk=job_id).update(status="CANCELLED", finished_at=timezone.now())
        return "CANCELLED"
    except Exception as exc:
        error = {
            "exception_class_path": get_module_path(type(exc)),
            "traceback": get_exception_traceback(exc),
        }
        Job.objects.filter(pk=job_id).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            errors=[*job.errors, error],
            message=str(exc)[:300],
        )
        return TaskResultStatus.FAILED
    finally:
        current_job.reset(token)
        _fresh_connection()
    Job.objects.filter(pk=job_id).update(
        status=TaskResultStatus.SUCCESSFUL,
        finished_at=timezone.now(),
        return_value=normalize_json(value),
    )
    return TaskResultStatus.SUCCESSFUL

"""Jobs whose worker died: found by their heartbeat, re-queued when that is safe.

A worker killed with ``kill -9`` (or a power cut) leaves its job RUNNING for good, and
huey has already taken the message off the queue. The runner writes the job's
``heartbeat_at`` every ``MINZHENG_JOB_HEARTBEAT_SECONDS`` (10); a RUNNING job whose
heartbeat is older than ``MINZHENG_JOB_STALE_SECONDS`` (60) — or whose worker process on
this machine is gone — is *stale*. :func:`jobs_recover` (run by every worker when it
starts and once a minute after) takes each stale job over:

* a kind in :data:`RERUNNABLE` is queued again, until it has been started
  ``MINZHENG_JOB_MAX_ATTEMPTS`` (3) times;
* any other kind, or one out of attempts, ends INTERRUPTED with a message saying what to do;
* either way, the records the job kept "running" (its import batch, its monitoring run)
  are closed or marked queued again, so no page shows a run that nobody is doing.

Re-runnable kinds, and why a second run is harmless:

* registry and feed imports — rows are matched by ID number / record key, so a re-run of
  the same file updates nothing it already wrote (the fault campaign checks 0 duplicates);
* the monitoring pass — resumable by design (one open warning per rule and subject);
* the month-end registry snapshot — rewrites the same Parquet directory;
* the statistics snapshot — stored in one transaction at its end, so the dead run left
  no version behind;
* the deadlines round — escalates each overdue warning or case once;
* policy simulations — read only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from minzheng.jobs.models import Job

log = logging.getLogger("minzheng.jobs")

RUNNING = "RUNNING"
INTERRUPTED = "INTERRUPTED"


def heartbeat_seconds() -> float:
    """How often a running job's worker writes its heartbeat."""
    return float(getattr(settings, "MINZHENG_JOB_HEARTBEAT_SECONDS", 10))


def stale_after() -> dt.timedelta:
    """A heartbeat older than this means the job's worker is gone."""
    return dt.timedelta(seconds=float(getattr(settings, "MINZHENG_JOB_STALE_SECONDS", 60)))


def max_attempts() -> int:
    """How many times a job is started at most (its first run included)."""
    return int(getattr(settings, "MINZHENG_JOB_MAX_ATTEMPTS", 3))


def worker_id() -> str:
    """This process, as recorded in ``Job.worker_ids``: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


# --- records a job keeps "running" -------------------------------------------------------
def _close_import_batch(job: Job, *, again: bool) -> None:
    from minzheng.registry.models import ImportBatch

    batch = ImportBatch.objects.filter(pk=_first_arg(job), status__in=["queued", "running"])
    for b in batch:
        msg = _batch_message(again)
        ImportBatch.objects.filter(pk=b.pk).update(
            status="queued" if again else "failed", report={**(b.report or {}), **msg}
        )


def _close_feed_batch(job: Job, *, again: bool) -> None:
    from minzheng.monitoring.models import FeedBatch

    for b in FeedBatch.objects.filter(pk=_first_arg(job), status=FeedBatch.Status.RUNNING):
        FeedBatch.objects.filter(pk=b.pk).update(
            status=FeedBatch.Status.RUNNING if again else FeedBatch.Status.FAILED,
            finished_at=None if again else timezone.now(),
            report={**(b.report or {}), **_batch_message(again)},
        )


def _close_monitor_runs(job: Job, *, again: bool) -> None:
    """The dead pass's run ends FAILED (a re-run opens its own run and resumes its work)."""
    from minzheng.monitoring.alerts import MonitorRun

    since = (job.started_at or job.enqueued_at) - dt.timedelta(seconds=1)
    MonitorRun.objects.filter(status=MonitorRun.Status.RUNNING, created_at__gte=since).update(
        status=MonitorRun.Status.FAILED,
        finished_at=timezone.now(),
        message="工作进程中断，监测未完成 / the worker stopped before the pass finished",
    )


def _first_arg(job: Job) -> Any:
    return job.args[0] if job.args else None


def _batch_message(again: bool) -> dict[str, str]:
    if again:
        return {
            "message": "导入被中断（后台任务进程停止），已自动重新排队；已导入的数据不会重复",
            "message_en": "interrupted (the worker stopped); queued again, nothing is imported twice",
        }
    return {
        "message": "导入中断，请重新导入（已导入的数据不会重复）",
        "message_en": "import interrupted (the worker stopped); run it again",
    }


Closer = Callable[..., None] | None

# Task path → what closes its records (None: it keeps none). Only these are re-run.
RERUNNABLE: dict[str, Closer] = {
    "minzheng.registry.tasks.import_registry_file": _close_import_batch,
    "minzheng.monitoring.tasks.import_feed_file": _close_feed_batch,
    "minzheng.monitoring.tasks.monitor_task": _close_monitor_runs,
    "minzheng.jobs.schedule.snapshot_task": None,
    "minzheng.jobs.schedule.deadlines_task": None,
    "minzheng.stats.tasks.stats_snapshot_task": None,
    "minzheng.assistance.tasks.simulate_task": None,
}


# --- finding stale jobs --------------------------------------------------------------------
def stale_jobs(now: dt.datetime | None = None) -> QuerySet[Job]:
    """RUNNING jobs whose heartbeat (or, before the first one, start) is too old."""
    cutoff = (now or timezone.now()) - stale_after()
    return Job.objects.filter(status=RUNNING).filter(
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, enqueued_at__lt=cutoff)
    )


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


def _worker_gone_here(job: Job) -> bool:
    """The job's last worker ran on this machine and its process no longer exists."""
    if not job.worker_ids:
        return False
    host, _, pid = str(job.worker_ids[-1]).rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return _pid_gone(int(pid))


def _candidates(now: dt.datetime) -> list[Job]:
    stale = {j.pk: j for j in stale_jobs(now)}
    for job in Job.objects.filter(status=RUNNING).exclude(pk__in=list(stale)):
        if _worker_gone_here(job):
            stale[job.pk] = job
    return list(stale.values())


# --- taking a stale job over ---------------------------------------------------------------
@dataclass
class Recovery:
    """What one recovery sweep did (job ids)."""

    requeued: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"requeued": self.requeued, "interrupted": self.interrupted,
                "cancelled": self.cancelled}  # fmt: skip


def _lost_error(job: Job) -> dict[str, str]:
    last = job.worker_ids[-1] if job.worker_ids else "?"
    return {
        "exception_class_path": "minzheng.jobs.recovery.WorkerLost",
        "traceback": f"worker {last} stopped answering (last heartbeat {job.heartbeat_at})",
    }


def _outcome(job: Job) -> tuple[str, str]:
    """The status a stale job moves to, and the message the job centre shows."""
    if job.cancel_requested:
        return "CANCELLED", "已取消（工作进程中断）/ cancelled (the worker stopped)"
    if job.task_path not in RERUNNABLE:
        return INTERRUPTED, (
            "工作进程中断；此类任务不自动重跑，请核对结果后重新提交 / the worker stopped; "
            "this kind of job is not re-run automatically: check its results and submit it again"
        )
    if job.attempts >= max_attempts():
        return INTERRUPTED, (
            f"已运行 {job.attempts} 次均被中断，不再自动重试，请检查后重新提交 / interrupted "
            f"{job.attempts} times, not retried again: check the cause and submit it again"
        )
    return "READY", (
        f"工作进程中断，已自动重新排队（第 {job.attempts + 1} 次，共 {max_attempts()} 次）/ "
        f"the worker stopped; queued again (attempt {job.attempts + 1} of {max_attempts()})"
    )


def _take_over(job: Job, out: Recovery) -> None:
    status, message = _outcome(job)
    again = status == "READY"
    with transaction.atomic():
        # Claim: only if nobody beat (a live worker) or recovered it since it was read.
        claimed = Job.objects.filter(
            pk=job.pk, status=RUNNING, heartbeat_at=job.heartbeat_at
        ).update(
            status=status,
            message=message[:300],
            errors=[*job.errors, _lost_error(job)],
            finished_at=None if again else timezone.now(),
        )
        if not claimed:
            return
        closer = RERUNNABLE.get(job.task_path)
        if closer is not None:
            closer(job, again=again)
        if again:
            _push(job.pk)
    log.warning("stale job %s (%s): %s", job.pk, job.task_path, status)
    {"READY": out.requeued, "CANCELLED": out.cancelled}.get(status, out.interrupted).append(job.pk)


def _push(job_id: str) -> None:
    from minzheng.jobs.queue import huey_app, run_job_task

    send = run_job_task()
    if huey_app().immediate:  # tests: run now
        send(job_id)
    else:
        transaction.on_commit(lambda: send(job_id))


def jobs_recover(*, now: dt.datetime | None = None) -> Recovery:
    """Take over every stale job: re-queue it when safe, else mark it INTERRUPTED."""
    out = Recovery()
    for job in _candidates(now or timezone.now()):
        _take_over(job, out)
    return out


def register(huey: Any) -> None:
    """Recover when the worker starts and once a minute after (the worker calls this)."""
    from huey import crontab

    def recover() -> None:
        try:
            got = jobs_recover()
        except Exception:  # a sweep must never stop the worker; the next one tries again
            log.exception("stale job recovery failed")
            return
        if got.requeued or got.interrupted or got.cancelled:
            log.warning("stale jobs recovered: %s", got.as_dict())

    huey.on_startup(name="minzheng.jobs.recover")(recover)
    huey.periodic_task(crontab(minute="*"), name="minzheng.jobs.recover_stale")(recover)

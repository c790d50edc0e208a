"""Background jobs: one row per enqueued task, with progress, outcome and who asked."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Job(models.Model):
    """A task enqueued through the django-tasks API and run by the huey worker.

    ``status``: READY, RUNNING, SUCCESSFUL, FAILED (django-tasks), CANCELLED, and
    INTERRUPTED — its worker died and it was not re-run (not safe to, or out of attempts).
    """

    id = models.CharField(primary_key=True, max_length=64)
    task_path = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=12, default="READY", db_index=True)
    label = models.CharField(max_length=200, blank=True)  # what the UI calls it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    return_value = models.JSONField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    worker_ids = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    enqueued_at = models.DateTimeField(auto_now_add=True, db_index=True)
    run_after = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker running the job writes this every few seconds; a RUNNING job whose
    # heartbeat is older than MINZHENG_JOB_STALE_SECONDS lost its worker (minzheng.jobs.recovery).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # runs started, re-runs included

    class Meta:
        ordering = ["-enqueued_at"]

    def __str__(self) -> str:
        return f"{self.task_path} {self.status}"

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

"""Submitting and cancelling jobs on behalf of a user."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task

from minzheng.accounts.models import User
from minzheng.jobs.models import Job


def job_submit(task: Task, *args: Any, actor: User | None, label: str, **kwargs: Any) -> Job:
    """Enqueue ``task`` through django-tasks and record who asked and what it is."""
    with transaction.atomic():  # the worker is handed the job on commit, actor included
        result = task.enqueue(*args, **kwargs)
        Job.objects.filter(pk=result.id).update(actor=actor, label=label[:200])
    return Job.objects.get(pk=result.id)


def job_cancel(*, actor: User, job: Job) -> Job:
    """Ask a queued or running job to stop (it stops at its next progress report)."""
    if job.status in ("READY", "RUNNING"):
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        job.refresh_from_db()
    return job

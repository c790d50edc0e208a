"""Module-level tasks for the job tests (django-tasks needs importable functions)."""

from __future__ import annotations

from django_tasks import task

from minzheng.jobs.runner import current_job, job_progress


@task()
def add(a: int, b: int) -> int:
    job_progress(1, 1, "added")
    return a + b


@task()
def explode() -> None:
    raise ValueError("boom")


@task()
def cancels_itself(steps: int) -> int:
    from minzheng.jobs.models import Job

    for i in range(steps):
        if i == 2:
            Job.objects.filter(pk=current_job.get()).update(cancel_requested=True)
        job_progress(i, steps)
    return steps

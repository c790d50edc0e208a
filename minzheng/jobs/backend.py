"""A django-tasks backend that queues on huey and keeps every result in the Job table."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.utils import get_random_id

from minzheng.jobs.models import Job
from minzheng.jobs.queue import huey_app, run_job_task


class HueyBackend(BaseTaskBackend):
    """``task.enqueue(...)`` writes a Job row, then hands its id to huey after the commit."""

    supports_defer = True
    supports_get_result = True

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        job = Job.objects.create(
            id=get_random_id(),
            task_path=task.module_path,
            args=list(args),
            kwargs=dict(kwargs),
            run_after=task.run_after,
        )
        send = run_job_task()

        def push() -> None:
            if task.run_after is not None:
                send.schedule(args=(job.pk,), eta=task.run_after)
            else:
                send(job.pk)

        if huey_app().immediate:  # tests: run now, inside the caller's transaction
            push()
            job.refresh_from_db()
        else:  # the worker must find the row: hand over only once it is committed
            transaction.on_commit(push)
        return self.result_of(job, task)

    def get_result(self, result_id: str) -> TaskResult:
        job = Job.objects.filter(pk=result_id).first()
        if job is None:
            raise TaskResultDoesNotExist(result_id)
        from django.utils.module_loading import import_string

        return self.result_of(job, import_string(job.task_path))

    @staticmethod
    def result_of(job: Job, task: Task) -> TaskResult:
        """A django-tasks ``TaskResult`` view of a Job row."""
        status = job.status if job.status in TaskResultStatus.values else TaskResultStatus.FAILED
        result: TaskResult = TaskResult(
            task=task,
            id=job.pk,
            status=TaskResultStatus(status),
            enqueued_at=job.enqueued_at,
            started_at=job.started_at,
            last_attempted_at=job.last_attempted_at,
            finished_at=job.finished_at,
            args=job.args,
            kwargs=job.kwargs,
            backend="default",
            errors=[TaskError(**e) for e in job.errors],
            worker_ids=list(job.worker_ids),
        )
        object.__setattr__(result, "_return_value", job.return_value)
        return result

"""Stale-job recovery: a job whose worker died (kill -9) is re-queued once, when safe, up to
a cap; a job with a fresh heartbeat is left alone; the records it kept "running" are closed."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from minzheng.jobs.models import Job
from minzheng.jobs.recovery import RERUNNABLE, jobs_recover, stale_jobs
from minzheng.jobs.runner import run_job
from tests.jobs.sample_tasks import add

LONG_AGO = dt.timedelta(minutes=5)


@pytest.fixture
def add_is_rerunnable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RERUNNABLE, add.module_path, None)


def dead_job(pk: str, *, path: str = add.module_path, args: list | None = None,
             attempts: int = 1, beat: dt.timedelta = LONG_AGO, **extra) -> Job:  # fmt: skip
    """A job row as a killed worker leaves it: RUNNING, its heartbeat ``beat`` old."""
    at = timezone.now() - beat
    return Job.objects.create(
        id=pk, task_path=path, args=args if args is not None else [2, 3], status="RUNNING",
        started_at=at, heartbeat_at=at, attempts=attempts, worker_ids=["elsewhere:1"], **extra,
    )  # fmt: skip


def test_a_job_whose_worker_died_is_requeued_once_and_completes(db, add_is_rerunnable):
    # given a job left RUNNING by a worker that stopped beating five minutes ago
    dead_job("dead-1")
    # when the worker (re)starts and sweeps
    got = jobs_recover()
    # then the job ran again to its end, as a second attempt
    job = Job.objects.get(pk="dead-1")
    assert got.requeued == ["dead-1"]
    assert (job.status, job.return_value, job.attempts) == ("SUCCESSFUL", 5, 2)
    assert job.errors[-1]["exception_class_path"].endswith("WorkerLost")
    # and a second sweep finds nothing to do
    assert jobs_recover().as_dict() == {"requeued": [], "interrupted": [], "cancelled": []}


def test_a_fresh_heartbeat_is_left_alone(db, add_is_rerunnable):
    dead_job("alive-1", beat=dt.timedelta(seconds=5))
    assert not jobs_recover().requeued
    job = Job.objects.get(pk="alive-1")
    assert (job.status, job.attempts, job.return_value) == ("RUNNING", 1, None)
    # and a duplicate queue message does not start it a second time beside its worker
    assert run_job("alive-1") == "RUNNING"
    assert Job.objects.get(pk="alive-1").attempts == 1


def test_the_timeout_is_configurable(db, add_is_rerunnable, settings):
    dead_job("slow-1", beat=dt.timedelta(seconds=30))
    assert not stale_jobs().exists()
    settings.MINZHENG_JOB_STALE_SECONDS = 20
    assert list(stale_jobs().values_list("pk", flat=True)) == ["slow-1"]


def test_the_cap_stops_endless_retries(db, add_is_rerunnable, settings):
    settings.MINZHENG_JOB_MAX_ATTEMPTS = 3
    dead_job("tired-1", attempts=3)
    got = jobs_recover()
    job = Job.objects.get(pk="tired-1")
    assert got.interrupted == ["tired-1"] and not got.requeued
    assert (job.status, job.return_value, job.attempts) == ("INTERRUPTED", None, 3)
    assert "3 次" in job.message and "3 times" in job.message
    assert job.finished_at is not None
    # an interrupted job is final: a stray queue message does not run it
    assert run_job("tired-1") == "INTERRUPTED"


def test_a_kind_not_safe_to_rerun_is_interrupted_not_requeued(db):
    dead_job("once-1")  # the sample task is not in RERUNNABLE
    got = jobs_recover()
    job = Job.objects.get(pk="once-1")
    assert got.interrupted == ["once-1"]
    assert job.status == "INTERRUPTED" and "不自动重跑" in job.message


def test_a_cancelled_job_whose_worker_died_ends_cancelled(db, add_is_rerunnable):
    dead_job("cancel-1", cancel_requested=True)
    assert jobs_recover().cancelled == ["cancel-1"]
    assert Job.objects.get(pk="cancel-1").status == "CANCELLED"


def test_a_worker_process_gone_from_this_machine_is_stale_at_once(db, add_is_rerunnable):
    import socket

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead_job("gone-1", beat=dt.timedelta(seconds=1))
    Job.objects.filter(pk="gone-1").update(worker_ids=[f"{socket.gethostname()}:{gone.pid}"])
    assert jobs_recover().requeued == ["gone-1"]
    assert Job.objects.get(pk="gone-1").status == "SUCCESSFUL"


def test_every_scheduled_kind_is_rerunnable():
    from minzheng.jobs.schedule import SCHEDULES

    assert {path for _, path, _ in SCHEDULES.values()} <= set(RERUNNABLE)


def test_a_killed_import_is_resumed_without_duplicates(db, actor, tmp_path):
    from minzheng.registry.importing.service import registry_import
    from minzheng.registry.models import ImportBatch, Person
    from minzheng.registry.tasks import import_registry_file
    from tests.registry.sheets import write_csv
    from tests.registry.test_import import family

    # given an import killed after its first household was committed
    whole = write_csv(tmp_path / "whole.csv", family("H1") + family("H2", 1))
    first = write_csv(tmp_path / "first.csv", family("H1"))
    batch = ImportBatch.objects.create(file_name="whole.csv", actor=actor)
    registry_import(actor=actor, path=first, batch=batch)
    ImportBatch.objects.filter(pk=batch.pk).update(status="running")
    dead_job("import-1", path=import_registry_file.module_path,
             args=[batch.pk, str(whole), actor.pk], actor=actor)  # fmt: skip
    assert Person.objects.count() == 3
    # when the worker comes back
    assert jobs_recover().requeued == ["import-1"]
    # then the import finished: every person once, the batch done
    batch.refresh_from_db()
    assert Person.objects.count() == 6
    assert Person.objects.values("id_number").distinct().count() == 6
    assert batch.status == "done"
    assert Job.objects.get(pk="import-1").status == "SUCCESSFUL"


def test_an_import_out_of_attempts_ends_its_batch_failed_with_why(db, actor, settings):
    from minzheng.registry.models import ImportBatch
    from minzheng.registry.tasks import import_registry_file

    settings.MINZHENG_JOB_MAX_ATTEMPTS = 2
    batch = ImportBatch.objects.create(file_name="x.csv", actor=actor, status="running")
    dead_job("import-2", path=import_registry_file.module_path,
             args=[batch.pk, "/nonexistent.csv", actor.pk], attempts=2)  # fmt: skip
    jobs_recover()
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "请重新导入" in batch.report["message"] and "run it again" in batch.report["message_en"]


def test_a_dead_monitoring_pass_leaves_no_run_marked_running(db):
    from minzheng.monitoring.alerts import MonitorRun
    from minzheng.monitoring.tasks import monitor_task

    dead_job("pass-1", path=monitor_task.module_path, args=[], attempts=3)
    run = MonitorRun.objects.create(as_of=dt.date(2024, 9, 30))
    assert jobs_recover().interrupted == ["pass-1"]
    run.refresh_from_db()
    assert run.status == "failed" and "中断" in run.message


def test_the_job_centre_shows_an_interrupted_job(client, world):
    from tests.world import login

    user = world.users["town1"]
    dead_job("mine-int", actor=user, label="我的导入", attempts=3)
    jobs_recover()
    login(client, user)
    body = client.get("/jobs/").content.decode()
    assert "已中断" in body and "我的导入" in body and "第 3 次运行" in body

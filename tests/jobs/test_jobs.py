"""Background jobs through the django-tasks API: outcome, progress, failure, cancellation,
and a real worker process consuming the SQLite queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from minzheng.jobs.models import Job
from minzheng.jobs.runner import run_job
from minzheng.jobs.services import job_cancel, job_submit
from tests.jobs.sample_tasks import add, cancels_itself, explode


def test_a_job_runs_and_keeps_its_result(db, actor):
    job = job_submit(add, 2, 3, actor=actor, label="加法")
    assert (job.status, job.return_value, job.label, job.actor) == ("SUCCESSFUL", 5, "加法", actor)
    assert (job.progress_done, job.progress_total, job.message) == (1, 1, "added")
    assert add.get_result(job.pk).return_value == 5


def test_a_failing_job_records_the_error(db, actor):
    job = job_submit(explode, actor=actor, label="x")
    assert job.status == "FAILED" and "boom" in job.errors[0]["traceback"]
    assert job.message == "boom"


def test_cancellation_stops_at_the_next_progress_report(db, actor):
    job = job_submit(cancels_itself, 10, actor=actor, label="x")
    assert job.status == "CANCELLED" and job.progress_done == 2


def test_a_job_cancelled_before_it_starts_never_runs(db, actor):
    job = Job.objects.create(id="queued-1", task_path=add.module_path, args=[1, 1])
    job_cancel(actor=actor, job=job)
    assert run_job(job.pk) == "CANCELLED"
    job.refresh_from_db()
    assert job.return_value is None and job.started_at is None


def test_a_finished_job_is_not_run_twice(db, actor):
    job = job_submit(add, 1, 1, actor=actor, label="x")
    Job.objects.filter(pk=job.pk).update(return_value=99)
    assert run_job(job.pk) == "SUCCESSFUL"
    assert Job.objects.get(pk=job.pk).return_value == 99


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded queue")
def test_a_real_worker_process_consumes_the_queue(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MINZHENG_INLINE_JOBS")}
    env["MINZHENG_DATA_DIR"] = str(tmp_path)
    mz = [sys.executable, "-m", "minzheng.cli"]
    subprocess.run([*mz, "init", "--no-townships"], env=env, check=True, capture_output=True)
    submit = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.jobs.services import job_submit;"
        "from tests.jobs.sample_tasks import add;"
        "print(job_submit(add, 20, 22, actor=None, label='w').pk)"
    )
    out = subprocess.run(
        [sys.executable, "-c", submit], env=env, check=True, capture_output=True, text=True
    )
    job_id = out.stdout.strip().splitlines()[-1]
    worker = subprocess.Popen(
        [*mz, "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    poll = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.jobs.models import Job;"
        f"j = Job.objects.get(pk='{job_id}'); print(j.status, j.return_value)"
    )
    try:
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            state = subprocess.run(
                [sys.executable, "-c", poll], env=env, capture_output=True, text=True
            ).stdout.strip()
            if state.startswith("SUCCESSFUL"):
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(10)
    assert state == "SUCCESSFUL 42"


def test_job_centre_lists_own_jobs_and_cancels(client, world):
    from tests.world import login

    user = world.users["town1"]
    mine = Job.objects.create(
        id="mine-1",
        task_path=add.module_path,
        actor=user,
        label="我的导入",
        status="RUNNING",
        progress_done=5,
        progress_total=10,
    )
    Job.objects.create(
        id="theirs-1", task_path=add.module_path, actor=world.users["county2"], label="别人的导入"
    )
    login(client, user)
    body = client.get("/jobs/").content.decode()
    assert "我的导入" in body and "别人的导入" not in body and "50%" in body
    assert client.post("/jobs/theirs-1/cancel/").status_code == 404
    client.post(f"/jobs/{mine.pk}/cancel/")
    mine.refresh_from_db()
    assert mine.cancel_requested

"""``minzheng doctor`` says in plain words when background jobs lost their worker or wait."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from django.utils import timezone

from minzheng.cli import main
from minzheng.jobs.models import Job
from minzheng.ops import checks


def jobs_check() -> checks.Check:
    return {c.name: c for c in checks.run_checks()}["jobs"]


def test_healthy_without_stale_jobs(db):
    Job.objects.create(id="ok-1", task_path="x.y", status="RUNNING", heartbeat_at=timezone.now())
    got = jobs_check()
    assert got.ok and "正常" in got.message


def test_a_stale_job_fails_the_doctor_and_names_it(db):
    old = timezone.now() - dt.timedelta(minutes=10)
    Job.objects.create(id="st-1", task_path="minzheng.registry.tasks.import_registry_file",
                       label="导入 户籍.xlsx", status="RUNNING", heartbeat_at=old)  # fmt: skip
    got = jobs_check()
    assert not got.ok
    assert "1 个后台任务的工作进程已停止" in got.message and "导入 户籍.xlsx" in got.message
    assert "lost their worker" in got.message and "restart minzheng-worker" in got.fix
    out = CliRunner().invoke(main, ["doctor"])
    assert out.exit_code == 1 and "✗ jobs" in out.output


def test_jobs_waiting_long_mean_no_worker(db):
    Job.objects.create(id="wait-1", task_path="x.y", status="READY")
    assert jobs_check().ok  # just queued
    Job.objects.filter(pk="wait-1").update(enqueued_at=timezone.now() - dt.timedelta(hours=1))
    got = jobs_check()
    assert not got.ok and "排队超过 5 分钟" in got.message and "worker running" in got.message


def test_recently_interrupted_jobs_are_mentioned(db):
    Job.objects.create(id="int-1", task_path="x.y", status="INTERRUPTED",
                       finished_at=timezone.now())  # fmt: skip
    got = jobs_check()
    assert got.ok and "1 个任务中断未重跑" in got.message


def test_metrics_count_jobs_from_the_database(client, db):
    old = timezone.now() - dt.timedelta(minutes=10)
    Job.objects.create(id="m-1", task_path="x.y", status="READY")
    Job.objects.create(id="m-2", task_path="x.y", status="RUNNING", heartbeat_at=old)
    Job.objects.create(id="m-3", task_path="x.y", status="RUNNING", heartbeat_at=timezone.now())
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "minzheng_jobs_queued 1.0" in body
    assert "minzheng_jobs_running 2.0" in body
    assert "minzheng_jobs_stale 1.0" in body

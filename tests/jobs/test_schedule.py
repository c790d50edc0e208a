"""The worker's own schedule: what runs when, that each entry is an ordinary job of the
system account, and what the deadlines round and the month-end snapshot do."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
from huey import MemoryHuey

from minzheng.jobs.models import Job
from minzheng.jobs.schedule import deadlines_task, enqueue_scheduled, register, schedules


def test_the_schedule_has_the_nightly_pass_the_deadlines_and_the_snapshot(settings):
    assert set(schedules()) == {
        "monitor_nightly", "deadlines_daily", "snapshot_monthly", "stats_monthly"
    }  # fmt: skip
    assert schedules()["monitor_nightly"][0] == ("0", "2", "*", "*", "*")
    settings.MINZHENG_SCHEDULES = {
        "snapshot_monthly": None,
        "monitor_nightly": ("0", "23", "*", "*", "*"),
    }
    assert set(schedules()) == {"monitor_nightly", "deadlines_daily", "stats_monthly"}
    assert schedules()["monitor_nightly"][0] == ("0", "23", "*", "*", "*")


def test_the_worker_registers_a_periodic_task_per_entry():
    huey = MemoryHuey("schedule-test", immediate=False)
    assert sorted(register(huey)) == [
        "deadlines_daily", "monitor_nightly", "snapshot_monthly", "stats_monthly"
    ]  # fmt: skip

    def due(at: dt.datetime) -> set[str]:
        return {t.name.rsplit(".", 1)[-1] for t in huey.read_periodic(at)}

    assert due(dt.datetime(2026, 11, 30, 2, 0)) == {"monitor_nightly"}
    assert due(dt.datetime(2026, 11, 30, 6, 30)) == {"deadlines_daily"}
    assert due(dt.datetime(2026, 12, 1, 3, 0)) == {"snapshot_monthly"}
    assert due(dt.datetime(2026, 12, 1, 4, 0)) == {"stats_monthly"}
    assert due(dt.datetime(2026, 11, 30, 3, 0)) == set()


def test_a_scheduled_entry_is_a_job_of_the_system_account(world, tmp_path, monkeypatch, settings):
    monkeypatch.setattr("minzheng.paths.data_dir", lambda: tmp_path)
    job = Job.objects.get(pk=enqueue_scheduled("snapshot_monthly"))
    assert job.status == "SUCCESSFUL", job.errors
    assert job.actor.username == settings.MINZHENG_SYSTEM_USER
    written = job.return_value["dir"]
    assert pq.read_table(f"{written}/person.parquet").num_rows == job.return_value["rows"]["person"]
    assert job.return_value["rows"]["person"] == 9  # the world's nine persons


def test_the_deadlines_round_escalates_and_expires(world):
    from minzheng.monitoring.alerts import Alert

    hh = world.households["t1"]
    Alert.objects.create(
        rule="house_destroyed", rule_version="1", rule_sha256="0" * 64, severity="red",
        subject="household", subject_id=hh.pk, household=hh, division=hh.hukou_division,
        raised_on=dt.date(2024, 6, 3), due_on=dt.date(2024, 6, 6),
    )  # fmt: skip
    result = deadlines_task.call("2024-06-30")
    assert result == {"alerts_escalated": 1, "cases_escalated": 0, "enrolments_expired": 0}
    assert deadlines_task.call("2024-07-01")["alerts_escalated"] == 0

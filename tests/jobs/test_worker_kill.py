"""A real worker killed with ``kill -9`` in the middle of an import: the next worker to start
re-queues the job, which completes with every person once (SQLite queue, loopback only)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded queue"),
]

PERSONS = 8000  # four chunks of 2,000 rows: the kill lands after the first commit
MZ = [sys.executable, "-m", "minzheng.cli"]


def query(db: Path, sql: str, *args: object) -> tuple:
    with sqlite3.connect(db, timeout=10) as con:
        return con.execute(sql, args).fetchone() or ()


def wait_for(check: Callable[[], Any], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_job_killed_with_its_worker_is_rerun_after_restart(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "MINZHENG_INLINE_JOBS")}  # fmt: skip
    env["MINZHENG_DATA_DIR"] = str(tmp_path)

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=env, check=True, capture_output=True, text=True)

    run([*MZ, "init"])
    csv = tmp_path / "reg.csv"
    run([*MZ, "synth", f"--persons={PERSONS}", "--counties=440106", "--seed=3",
                    f"--out={tmp_path / 'synth'}", f"--import-csv={csv}"])  # fmt: skip
    submit = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.accounts.services import system_actor;"
        "from minzheng.registry.models import ImportBatch;"
        "from minzheng.registry.importing.jobs import start_import;"
        "from minzheng.jobs.models import Job; from pathlib import Path;"
        f"u = system_actor(); p = Path({str(csv)!r});"
        "b = ImportBatch.objects.create(file_name=p.name, actor=u, status='queued');"
        "start_import(b.pk, p, u); print(Job.objects.get().pk, b.pk)"
    )
    job_id, batch_id = run([sys.executable, "-c", submit]).stdout.split()[-2:]
    db = tmp_path / "minzheng.sqlite3"
    job = "SELECT status, progress_done, attempts FROM jobs_job WHERE id = ?"

    # given a worker killed with SIGKILL once the import committed its first chunk
    worker = subprocess.Popen([*MZ, "worker", "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(lambda: (s := query(db, job, job_id)) and s[0] == "RUNNING" and s[1] > 0)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    status, done, attempts = query(db, job, job_id)
    assert (status, attempts) == ("RUNNING", 1) and 0 < done < PERSONS
    assert query(db, "SELECT status FROM registry_importbatch WHERE id = ?", batch_id) == (
        "running",
    )

    # when a worker starts again
    worker = subprocess.Popen([*MZ, "worker", "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        final = wait_for(lambda: (s := query(db, job, job_id)) and s[0] != "RUNNING"
                         and s[0] != "READY" and s)  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(10)

    # then the job was re-run once and completed, and every person is there once
    assert final == ("SUCCESSFUL", PERSONS, 2)
    persons, with_id, distinct = query(
        db, "SELECT count(*), count(id_number), count(DISTINCT id_number) FROM registry_person"
    )
    assert persons == PERSONS and with_id == distinct
    assert query(db, "SELECT status FROM registry_importbatch WHERE id = ?", batch_id) == ("done",)
    errors = query(db, "SELECT errors FROM jobs_job WHERE id = ?", job_id)[0]
    assert "WorkerLost" in errors

"""Operations: doctor fails for each broken part, backups verify, health and metrics answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from minzheng.cli import main
from minzheng.ops import checks


def test_doctor_is_healthy_here(db):
    results = {c.name: c for c in checks.run_checks()}
    assert results["database"].ok and results["migrations"].ok and results["disk"].ok


@pytest.mark.parametrize("broken", ["database", "migrations", "static", "disk", "clock"])
def test_doctor_reports_each_broken_part(db, monkeypatch, broken):
    from django.db.migrations.executor import MigrationExecutor

    if broken == "database":

        class Down:
            vendor = "postgresql"

            def cursor(self):
                raise OSError("connection refused")

        monkeypatch.setattr(checks, "connection", Down())
    elif broken == "migrations":
        monkeypatch.setattr(
            MigrationExecutor,
            "migration_plan",
            lambda self, targets: [
                (type("M", (), {"app_label": "registry", "name": "0099_x"})(), False)
            ],
        )
    elif broken == "static":
        monkeypatch.setattr("django.contrib.staticfiles.finders.find", lambda p: None)
        monkeypatch.setattr(checks.settings, "STATIC_ROOT", "/nonexistent")
    elif broken == "disk":
        monkeypatch.setattr(
            checks.shutil,
            "disk_usage",
            lambda p: type("U", (), {"total": 100 << 30, "free": 1 << 20})(),
        )
    elif broken == "clock":
        import datetime as dt

        from django.utils import timezone

        real_now = timezone.now()

        class Cur:
            def __enter__(self):
                return self

            def __exit__(self, *a):
                return False

            def execute(self, sql):
                pass

            def fetchone(self):
                return (real_now - dt.timedelta(minutes=3),)

        class Skewed:
            vendor = "postgresql"

            def cursor(self):
                return Cur()

        monkeypatch.setattr(checks, "connection", Skewed())
    result = {c.name: c for c in checks.run_checks()}[broken]
    assert not result.ok and "/" in result.message
    out = CliRunner().invoke(main, ["doctor"])
    assert out.exit_code == 1 and "✗" in out.output


def test_healthz_and_metrics(client, db):
    assert client.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": True, "migrations": True},
    }
    client.get("/accounts/login/")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'minzheng_requests_total{route="accounts:login",status="200"}' in body
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_request_id_header_and_no_personal_data_in_logs(client, world, caplog):
    import logging

    from tests.world import login

    login(client, world.users["town1"])
    number = world.persons["t1"][0].id_number
    with caplog.at_level(logging.INFO, logger="minzheng.request"):
        resp = client.get("/registry/households/", {"q": number})
    assert resp["X-Request-ID"]
    assert caplog.records and all(
        number not in r.getMessage() + str(vars(r)) for r in caplog.records
    )
    assert caplog.records[-1].route == "registry:households"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite path; PostgreSQL below")
def test_sqlite_backup_verifies_and_restores(tmp_path):
    _backup_round_trip(tmp_path, {"MINZHENG_DATA_DIR": str(tmp_path / "data")})


def test_postgres_backup_verifies_and_restores(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs DATABASE_URL=postgres://…")
    name = "minzheng_backup_test"
    base = url.rsplit("/", 1)[0]
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _backup_round_trip(tmp_path, {"DATABASE_URL": f"{base}/{name}"})
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _backup_round_trip(tmp_path: Path, extra: dict[str, str]) -> None:
    """In a separate process against its own database: init, load, back up, damage, restore."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update({"MINZHENG_DATA_DIR": str(tmp_path / "data"), **extra})
    mz = [sys.executable, "-m", "minzheng.cli"]
    subprocess.run([*mz, "init", "--no-townships"], env=env, check=True, capture_output=True)
    code = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.accounts.services import system_actor;"
        "from minzheng.registry.services import household_register;"
        "from minzheng.divisions.models import Division;"
        "d = Division.objects.get(code='440106000000');"
        "[household_register(actor=system_actor(), ref=f'B{i}', hukou_division=d) for i in range(5)]"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    attachment = tmp_path / "data" / "media" / "cases" / "x" / "授权书.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 signed")
    out = tmp_path / "backup.dump"
    made = subprocess.run(
        [*mz, "backup", "--out", str(out)], env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["verified"] and report["tables"] > 10 and out.stat().st_size > 0
    assert report["files"] == 1  # the case attachments are archived beside the database
    attachment.unlink()
    damage = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.registry.models import Household; Household.objects.filter(ref='B1').delete()"
    )
    subprocess.run([sys.executable, "-c", damage], env=env, check=True, capture_output=True)
    back = subprocess.run(
        [*mz, "restore", str(out), "--yes"], env=env, capture_output=True, text=True
    )
    assert back.returncode == 0, back.stderr
    count = (
        "from minzheng.cli import setup_django; setup_django();"
        "from minzheng.registry.models import Household; print(Household.objects.count())"
    )
    n = subprocess.run(
        [sys.executable, "-c", count], env=env, capture_output=True, text=True, check=True
    )
    assert n.stdout.strip() == "5"
    assert attachment.read_bytes() == b"%PDF-1.4 signed"


def test_client_ip_behind_a_trusted_proxy(rf, settings):
    from minzheng.accounts.middleware import client_ip

    req = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7")
    assert client_ip(req) == "127.0.0.1"  # proxy not trusted: the header is ignored
    settings.MINZHENG_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(req) == "10.0.0.7"  # the hop our proxy saw, not the forgeable first one


def test_a_full_disk_ends_an_import_with_a_plain_message(db, tmp_path, monkeypatch):
    import sqlite3

    from click.testing import CliRunner

    from minzheng.cli import main
    from minzheng.core.errors import is_disk_full
    from tests.registry.sheets import row, write_csv

    assert is_disk_full(OSError(28, "No space left on device"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert not is_disk_full(ValueError("full name required"))

    def full(**kw):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("minzheng.registry.importing.service.registry_import", full)
    path = write_csv(tmp_path / "a.csv", [row("DISK-1", "甲", "")])
    out = CliRunner().invoke(main, ["import", "registry", str(path)])
    assert out.exit_code == 1 and "磁盘已满" in out.output and "disk is full" in out.output
    assert "Traceback" not in out.output

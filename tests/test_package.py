"""Package-level promises: cheap import, CLI examples, settings of the embedded database."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from django.db import connection

from minzheng.cli import main

HEAVY = ("duckdb", "pandas", "pyspark", "polars", "pyarrow")


def test_import_minzheng_stays_light():
    code = (
        "import sys, minzheng, minzheng.cli, minzheng.synth, minzheng.identity; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_django_setup_does_not_import_heavy_engines():
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE']='minzheng.settings'; "
        "import django; django.setup(); import minzheng.urls; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    seen = 0
    for path, _cmd in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example:" in result.output and "minzheng " in result.output, path
        seen += 1
    assert seen >= 10


def test_import_command_exit_codes(db, tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    result = CliRunner().invoke(main, ["import", "registry", str(bad)])
    assert result.exit_code == 1 and "xlsx" in result.output
    good = tmp_path / "a.csv"
    good.write_text(
        "户编号,姓名,公民身份号码,与户主关系,户籍地行政区划代码\nH1,王五,123,02,440106\n",
        encoding="utf-8",
    )
    report = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["import", "registry", str(good), "--report", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["rejected"] == 1 and data["errors"][0]["row"] == 2
    assert set(data["errors"][0]) == {"row", "column", "reason", "reason_en"}
    result = CliRunner().invoke(main, ["import", "registry", str(good), "--as", "nobody"])
    assert result.exit_code == 1


def test_id_command(db):
    from tests.conftest import ids

    good = ids(1)[0]
    ok = CliRunner().invoke(main, ["id", good])
    assert ok.exit_code == 0 and '"valid": true' in ok.output
    bad = CliRunner().invoke(main, ["id", good[:17] + ("0" if good[17] != "0" else "1")])
    assert bad.exit_code == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings")
def test_sqlite_runs_in_wal_with_busy_timeout(db):
    from django.conf import settings

    opts = settings.DATABASES["default"]["OPTIONS"]
    assert opts["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in opts["init_command"]
    assert opts["timeout"] >= 5


def test_production_settings_pass_check_deploy():
    import os

    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="minzheng.settings_production",
        SECRET_KEY="x" * 20 + "-production-secret-for-the-check-only-0123456789",
    )
    out = subprocess.run(
        [sys.executable, "-m", "minzheng.manage", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
    env.pop("SECRET_KEY")
    out = subprocess.run(
        [sys.executable, "-m", "minzheng.manage", "check"], capture_output=True, text=True, env=env
    )
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


def test_english_catalogue_is_complete_and_compiled():
    from pathlib import Path

    import minzheng

    po = Path(minzheng.__file__).parent / "locale/en/LC_MESSAGES/django.po"
    text = po.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and '\n"' not in e.split("msgstr")[1]]
    assert untranslated == []
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]
    import gettext

    with po.with_suffix(".mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    assert len(catalog) - 1 == len(entries)  # the .mo is compiled from this .po
    assert catalog["家庭户"] == "Households"


def test_cli_reference_is_current():
    from pathlib import Path

    from minzheng.cli_docs import render

    doc = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    assert doc.read_text(encoding="utf-8") == render(), (
        "run: python -m minzheng.cli_docs > docs/cli.md"
    )

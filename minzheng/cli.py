"""The ``minzheng`` command line: a thin layer over services (see ``minzheng <command> --help``).

Django is set up only when a command needs it, so ``minzheng --help`` is instant.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

DEMO_COUNTIES = ["440106", "440104"]


def setup_django() -> None:
    """Configure Django from the environment (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _disk_full_exit(exc: BaseException) -> None:
    """A full disk ends a command with a plain message, not a traceback (anything else
    is left to the caller to re-raise)."""
    from minzheng.core.errors import DISK_FULL, is_disk_full

    if is_disk_full(exc):
        raise click.ClickException(" / ".join(DISK_FULL)) from exc


def import_summary(data: dict[str, Any], report: Path | None, keys: tuple[str, ...]) -> None:
    """An import's end: the full JSON report to ``report``, ``keys`` of it as one JSON line
    on stdout, and the count in words on stderr."""
    if report:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(json.dumps({k: data[k] for k in keys}, ensure_ascii=False))
    click.echo(
        f"导入成功 {data['rows'] - data['rejected']} 条，失败 {data['rejected']} 条", err=True
    )


def _progress(label: str) -> Any:
    def report(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        click.echo(f"\r{label} {done}/{total} ({pct}%)", nl=False, err=True)
        if done >= total:
            click.echo("", err=True)

    return report


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="minzheng")
def main() -> None:
    """Minzheng 民政 — civil-affairs platform command line.

    \b
    Example:
      minzheng init && minzheng demo
    """


@main.command()
@click.option("--townships/--no-townships", default=True, help="Also load township codes.")
def init(townships: bool) -> None:
    """Create or migrate the database and load the division list and its history.

    \b
    Example:
      minzheng init
    """
    setup_django()
    from minzheng.core.setup import initialise

    for line in initialise(townships=townships):
        click.echo(line, err=True)


@main.group()
def divisions() -> None:
    """Administrative divisions (GB/T 2260) and their history.

    \b
    Example:
      minzheng divisions resolve 440102
    """


@divisions.command("load")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, path_type=Path),
    help="CSV of township/village codes (code,name[,parent_code,urban_rural]).",
)
@click.option("--prefix", default="", help="Only codes starting with this, e.g. 44.")
def divisions_load(path: Path | None, prefix: str) -> None:
    """Load the shipped division list and history, or township/village codes from a file.

    \b
    Example:
      minzheng divisions load
      minzheng divisions load --file villages.csv --prefix 4401
    """
    setup_django()
    from minzheng.divisions import services

    if path:
        click.echo(json.dumps(vars(services.divisions_load_subcounty(path=path, prefix=prefix))))
        return
    for fn in (services.divisions_load_official, services.divisions_load_history):
        click.echo(json.dumps({fn.__name__: vars(fn())}))


@divisions.command("resolve")
@click.argument("code")
def divisions_resolve(code: str) -> None:
    """Show the division in force today for a code (a retired code follows its successors).

    \b
    Example:
      minzheng divisions resolve 440102
    """
    setup_django()
    from minzheng.divisions.selectors import division_resolve

    res = division_resolve(code)
    if res is None:
        raise click.ClickException(f"区划代码不存在 / unknown division code: {code}")
    d = res.division
    click.echo(
        json.dumps(
            {
                "code": d.short_code,
                "name": d.name,
                "level": d.level,
                "retired_code": res.retired_code,
                "note": res.note,
            },
            ensure_ascii=False,
        )
    )


@main.group("import")
def import_() -> None:
    """Import data from Excel/CSV.

    \b
    Example:
      minzheng import registry households.xlsx --report report.json
    """


@import_.command("registry")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--as", "username", help="User named in the audit trail (default: system import).")
@click.option("--as-of", help="Date the facts take effect (YYYY-MM-DD, default today).")
def import_registry(
    file: Path, report: Path | None, username: str | None, as_of: str | None
) -> None:
    """Import households and persons (one row per person) from .xlsx, .xls or .csv.

    Exits 0 when the file was read (rejected rows are in the report), 1 when it
    could not be read at all.

    \b
    Example:
      minzheng import registry 天河区花名册.xlsx --report report.json --as town1
    """
    setup_django()
    from minzheng.accounts.rls import acting_as
    from minzheng.accounts.services import actor_by_username
    from minzheng.registry.importing.service import UnreadableFile, registry_import

    try:
        actor = actor_by_username(username)
        with acting_as(actor):  # row-level security: --as user's division (system: all)
            result = registry_import(
                actor=actor, path=file, as_of=_date(as_of), progress=_progress("导入 importing")
            )
    except (UnreadableFile, LookupError) as exc:
        msg = f"{exc.message} / {exc.message_en}" if isinstance(exc, UnreadableFile) else str(exc)
        raise click.ClickException(msg) from exc
    except Exception as exc:
        _disk_full_exit(exc)
        raise
    import_summary(
        result.as_dict(), report, ("rows", "created", "updated", "unchanged", "rejected")
    )


@main.group()
def template() -> None:
    """Download blank import templates.

    \b
    Example:
      minzheng template registry --out 家庭成员导入模板.xlsx
    """


@template.command("registry")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write .xlsx.")
def template_registry(out: Path) -> None:
    """Write the registry import template (instructions sheet, dropdowns, ID column as text).

    \b
    Example:
      minzheng template registry --out 家庭成员导入模板.xlsx
    """
    from minzheng.registry.importing.template import write_template

    click.echo(str(write_template(out)))


@main.command()
@click.option("--persons", type=int, default=10_000, show_default=True)
@click.option("--province", default="44", show_default=True, help="2-digit province code.")
@click.option("--counties", default="", help="Comma-separated 6-digit county codes (default: all).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--csv", "as_csv", is_flag=True, help="Also write CSV copies.")
@click.option(
    "--import-csv",
    type=click.Path(path_type=Path),
    help="Also write one CSV in the registry import format.",
)
@click.option("--load", is_flag=True, help="Load the population into the configured database.")
@click.option("--as-of", default="2024-06-30", show_default=True)
@click.option(
    "--feeds",
    "with_feeds",
    is_flag=True,
    help="Also write department feeds (OUT/feeds/*.csv), layers.csv and truth.json.",
)
def synth(
    persons: int,
    province: str,
    counties: str,
    seed: int,
    out: Path,
    as_csv: bool,
    import_csv: Path | None,
    load: bool,
    as_of: str,
    with_feeds: bool,
) -> None:
    """Generate a synthetic population (never real people), deterministic by seed.

    With --feeds, also department feeds with noise and the ground truth of links and
    warnings (see minzheng.synth.feeds); --load then imports the feeds too.

    \b
    Example:
      minzheng synth --persons 50000 --province 44 --counties 440106,440104 --seed 1 --out var/synth --load
      minzheng synth --persons 2000 --counties 440106 --seed 7 --feeds --out tests/fixtures/monitoring_small
    """
    from minzheng.synth import generate, write, write_import_csv

    pop = generate(
        persons=persons,
        province=province,
        seed=seed,
        as_of=dt.date.fromisoformat(as_of),
        counties=[c for c in counties.split(",") if c] or None,
    )
    files = write(pop, out, csv=as_csv)
    if import_csv:
        write_import_csv(pop, import_csv)
    result: dict[str, Any] = {"files": {k: str(v) for k, v in files.items()}}
    feed_files: dict[str, Path] = {}
    if with_feeds:
        from minzheng.synth.feeds import kinds, make_feeds, write_feeds

        written = write_feeds(make_feeds(pop), out)
        feed_files = {k: written[k] for k in kinds()}
        result["files"].update({f"feed_{k}": str(v) for k, v in written.items()})
    if load:
        setup_django()
        from minzheng.accounts.rls import EVERYTHING, acting
        from minzheng.registry.bulk import population_load

        with acting(EVERYTHING):
            result["loaded"] = vars(population_load(directory=out, on=pop.as_of))
            if feed_files:
                from minzheng.monitoring.feeds.importing import feed_import

                result["feeds_loaded"] = {
                    kind: feed_import(kind=kind, path=path, actor=None, progress=None).as_dict(
                        limit=0
                    )
                    for kind, path in feed_files.items()
                }
                from minzheng.monitoring.layers import layers_load_csv

                # The generator's layers (no enrolments exist for a synthetic population).
                result["layers_loaded"] = layers_load_csv(
                    out / "layers.csv", valid_from=pop.as_of.replace(year=pop.as_of.year - 1)
                )
    click.echo(json.dumps(result, ensure_ascii=False))


@main.command("id")
@click.argument("numbers", nargs=-1, required=True)
def id_check(numbers: tuple[str, ...]) -> None:
    """Check resident ID numbers: check digit, birth date, address code (retired codes valid).

    \b
    Example:
      minzheng id 440106900101001
    """
    setup_django()
    from django.db import DatabaseError

    from minzheng.divisions.selectors import known_address_codes
    from minzheng.identity.resident_id import InvalidId, parse

    try:
        codes = known_address_codes() or None
    except DatabaseError:  # no database yet: check the province digits only
        codes = None
    if codes is None:
        click.echo(
            "提示：未载入区划，仅校验省级代码（运行 minzheng init）/ divisions not loaded: "
            "only the province digits are checked (run minzheng init)",
            err=True,
        )
    bad = 0
    for raw in numbers:
        try:
            rid = parse(raw, known_address_codes=codes)
            click.echo(
                json.dumps(
                    {
                        "input": raw,
                        "valid": True,
                        "number": rid.number,
                        "birth_date": rid.birth_date.isoformat(),
                        "sex": rid.sex,
                    }
                )
            )
        except InvalidId as exc:
            bad += 1
            click.echo(
                json.dumps(
                    {
                        "input": raw,
                        "valid": False,
                        "reason": exc.message,
                        "reason_en": exc.message_en,
                    },
                    ensure_ascii=False,
                )
            )
    sys.exit(1 if bad else 0)


@main.command()
@click.option("--port", type=int, default=int(os.environ.get("PORT", 8000)), show_default=True)
@click.option("--persons", type=int, default=50_000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Set everything up, then exit.")
def demo(port: int, persons: int, no_serve: bool) -> None:
    """Set up a demo instance (divisions, 2 counties of synthetic people, accounts) and serve it.

    A second run reuses what exists and starts in seconds.

    \b
    Example:
      minzheng demo --port 8000
    """
    os.environ.setdefault("MINZHENG_DEBUG", "1")
    setup_django()
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.core.setup import demo_setup

    with acting(EVERYTHING):
        for line in demo_setup(persons=persons, counties=DEMO_COUNTIES):
            click.echo(line)
    click.echo(f"\n  → http://127.0.0.1:{port}/\n")
    if not no_serve:
        _serve(port)


@main.command()
@click.option("--port", type=int, default=int(os.environ.get("PORT", 8000)), show_default=True)
@click.option("--no-worker", is_flag=True, help="Do not start a background worker beside it.")
def serve(port: int, no_worker: bool) -> None:
    """Serve the web application on 127.0.0.1 (with a background worker).

    \b
    Example:
      minzheng serve --port 8000
    """
    setup_django()
    _serve(port, with_worker=not no_worker)


def _serve(port: int, *, with_worker: bool = True) -> None:
    """Run the web server; with ``with_worker`` a background worker process beside it."""
    import signal
    import subprocess

    from django.core.management import call_command

    # SIGTERM (systemd, tests) must unwind through ``finally`` so the worker stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker = None
    if with_worker:
        worker = subprocess.Popen(
            [sys.executable, "-m", "minzheng.cli", "worker", "--parent-pid", str(os.getpid())]
        )
    from django.conf import settings

    # runserver never closes a request thread's connection: persistent connections would
    # pile up on PostgreSQL ("too many clients").
    for db in settings.DATABASES.values():
        db["CONN_MAX_AGE"] = 0
    try:
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)


def _exit_with_parent(pid: int) -> None:
    """A daemon thread that ends this process once ``pid`` has gone (no orphaned workers)."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != pid:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


@main.command()
@click.option("--workers", type=int, default=2, show_default=True, help="Worker threads.")
@click.option(
    "--parent-pid",
    type=int,
    default=0,
    hidden=True,
    help="Exit when this process is gone (set by `minzheng serve`).",
)
def worker(workers: int, parent_pid: int) -> None:
    """Run the background worker (imports, passes, reports) until stopped.

    Uses the SQLite queue file beside the database, or Redis when REDIS_URL is set.

    \b
    Example:
      minzheng worker --workers 2
    """
    setup_django()
    from huey.consumer import Consumer

    from minzheng.jobs.queue import huey_app, run_job_task

    run_job_task()  # register the task before consuming
    if parent_pid:
        _exit_with_parent(parent_pid)
    from minzheng.jobs.schedule import register

    register(huey_app())  # the nightly pass, the deadlines round, the month-end snapshot
    Consumer(huey_app(), workers=workers, worker_type="thread", periodic=True).run()


@main.command()
def doctor() -> None:
    """Check the database, migrations, static files, disk and clock; say what is wrong.

    Exits 0 when healthy, 1 otherwise.

    \b
    Example:
      minzheng doctor
    """
    setup_django()
    from minzheng.ops.checks import run_checks

    results = run_checks()
    for c in results:
        mark = "✓" if c.ok else "✗"
        click.echo(
            f"{mark} {c.name:<11} {c.message}" + (f"\n    → {c.fix}" if c.fix and not c.ok else "")
        )
    sys.exit(0 if all(c.ok for c in results) else 1)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Backup file to write.")
def backup(out: Path) -> None:
    """Back up the database (SQLite online backup / pg_dump) and verify it on creation.

    \b
    Example:
      minzheng backup --out /srv/backup/minzheng-20261129.dump
    """
    setup_django()
    from minzheng.ops.backup import backup as run_backup

    report = run_backup(out)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if not report.verified:
        raise click.ClickException("备份校验失败 / the backup did not verify")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the database's contents with a backup made by ``minzheng backup``.

    \b
    Example:
      minzheng restore /srv/backup/minzheng-20261129.dump --yes
    """
    setup_django()
    from minzheng.ops.backup import restore as run_restore

    if not yes:
        click.confirm(
            "这将覆盖当前数据库 / this replaces the current database. Continue?", abort=True
        )
    try:
        report = run_restore(path)
    except (FileNotFoundError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if not report.verified:
        raise click.ClickException("恢复后校验失败 / the restored data did not verify")


@main.group()
def audit() -> None:
    """The audit trail.

    \b
    Example:
      minzheng audit purge --older-than-days 365
    """


@audit.command("purge")
@click.option(
    "--older-than-days",
    type=int,
    default=365,
    show_default=True,
    help="Delete rows older than this (at least 180).",
)
def audit_purge(older_than_days: int) -> None:
    """Delete audit rows past the retention period (six months are always kept).

    \b
    Example:
      minzheng audit purge --older-than-days 365
    """
    setup_django()
    from minzheng.accounts.services import audit_purge as purge

    try:
        click.echo(json.dumps({"deleted": purge(older_than_days=older_than_days)}))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def db() -> None:
    """PostgreSQL roles for row-level security (ADR 005).

    \b
    Example:
      minzheng db roles --admin-url postgres://postgres@/minzheng
    """


@db.command("roles")
@click.option(
    "--admin-url",
    envvar="MINZHENG_ADMIN_DATABASE_URL",
    help="A superuser's connection to the same database (or MINZHENG_ADMIN_DATABASE_URL).",
)
@click.option("--sql", "show", is_flag=True, help="Print the statements instead of running them.")
def db_roles(admin_url: str | None, show: bool) -> None:
    """Create or update the owner, app and batch roles and their grants (idempotent).

    Names and passwords come from MIGRATE_DATABASE_URL, DATABASE_URL and BATCH_DATABASE_URL.
    Run it before the first `minzheng init` and again after every upgrade.

    \b
    Example:
      minzheng db roles --admin-url postgres://postgres@/minzheng
    """
    setup_django()
    from minzheng.accounts.dbroles import roles_command

    if not show and not admin_url:
        raise click.UsageError("--admin-url is required (or --sql to print the statements)")
    for statement in roles_command(admin_url=admin_url or "", execute=not show):
        click.echo(f"{statement};")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command.

    \b
    Example:
      minzheng manage migrate
    """
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["minzheng manage", *args])


def _register() -> None:
    """Command groups that live with their apps (each imports only click at load time)."""
    from minzheng.accounts.cli import user
    from minzheng.assistance.cli import assess, parameters, price_index_cmd, roster, simulate
    from minzheng.workdays.cli import calendar

    main.add_command(user)
    main.add_command(calendar)
    main.add_command(assess)
    main.add_command(parameters)
    main.add_command(simulate)
    main.add_command(roster)
    main.add_command(price_index_cmd)

    from minzheng.monitoring.cli import register as register_monitoring

    register_monitoring(main, import_)
    from minzheng.stats.cli import stats
    from minzheng.stats.report_cli import report_cmd

    main.add_command(stats)
    main.add_command(report_cmd, "report")


_register()

if __name__ == "__main__":
    main()

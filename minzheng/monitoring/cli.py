"""Command-line entry points of monitoring, registered on the main command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click


def register(main: click.Group, import_group: click.Group) -> None:
    """``minzheng import feed``, ``minzheng link`` and ``minzheng monitor``."""
    from minzheng.monitoring.feeds.cli import feed
    from minzheng.monitoring.linkage.cli import link

    import_group.add_command(feed)
    main.add_command(link)
    main.add_command(monitor)


def _setup() -> None:
    from minzheng.cli import setup_django

    setup_django()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def monitor() -> None:
    """Dynamic monitoring: the nightly pass, warnings export, escalation, evaluation.

    \b
    Example:
      minzheng monitor run --as-of 2024-06-30
      minzheng monitor export --as county1 --out 预警.csv
    """


@monitor.command("run")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True)  # fmt: skip
@click.option("--as-of", help="Date of the pass (YYYY-MM-DD, default today).")
@click.option("--rules", default="", help="Comma-separated rule names (default: all).")
@click.option("--no-link", is_flag=True, help="Skip linking new feed records first.")
def monitor_run_cmd(engine: str, as_of: str | None, rules: str, no_link: bool) -> None:
    """Link the feeds, evaluate every warning rule over the registry and write the warnings.

    Safe to re-run: a warning already open is counted, not raised again. Progress goes to
    stderr; the last line on stdout is a JSON summary (new, already_open, per rule and
    per division).

    \b
    Example:
      minzheng monitor run --engine duckdb --as-of 2024-06-30
    """
    _setup()
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.cli import _progress
    from minzheng.monitoring.passes import monitor_run

    day = dt.date.fromisoformat(as_of) if as_of else None
    chosen = [r for r in rules.split(",") if r] or None
    try:
        with acting(EVERYTHING):  # the nightly pass reads and writes every division
            summary = monitor_run(as_of=day, engine=engine, rules=chosen, link=not no_link,
                                  progress=_progress("监测 monitoring"))  # fmt: skip
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))


@monitor.command("export")
@click.option("--as", "username", required=True, help="Export what this user may see.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def monitor_export_cmd(username: str, out: Path) -> None:
    """Write the warnings a user may see (ID numbers in full only with the export permission).

    \b
    Example:
      minzheng monitor export --as town1 --out 预警清单.csv
    """
    _setup()
    from minzheng.accounts.rls import acting_as
    from minzheng.accounts.services import actor_by_username
    from minzheng.monitoring.services import alerts_export

    try:
        actor = actor_by_username(username)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    with acting_as(actor):
        rows = alerts_export(actor=actor, out=out)
    click.echo(json.dumps({"rows": rows, "file": str(out)}, ensure_ascii=False))


@monitor.command("escalate")
@click.option("--today", help="Date to judge deadlines on (default today).")
def monitor_escalate_cmd(today: str | None) -> None:
    """Escalate warnings not verified by their deadline to the county (once each).

    \b
    Example:
      minzheng monitor escalate
    """
    _setup()
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.monitoring.services import alerts_escalate

    with acting(EVERYTHING):
        n = alerts_escalate(dt.date.fromisoformat(today) if today else None)
    click.echo(json.dumps({"escalated": n}))
    sys.stdout.flush()


@monitor.command("evaluate")
@click.option("--truth", "directory", type=click.Path(path_type=Path, exists=True), required=True,
              help="Directory holding truth.json (minzheng synth --feeds).")  # fmt: skip
def monitor_evaluate_cmd(directory: Path) -> None:
    """Grade linkage and warnings against the generator's ground truth (JSON on stdout).

    \b
    Example:
      minzheng monitor evaluate --truth var/synth
    """
    _setup()
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.monitoring.evaluate import evaluate

    with acting(EVERYTHING):
        click.echo(json.dumps(evaluate(directory), ensure_ascii=False))

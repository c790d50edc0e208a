"""``minzheng stats …``: official statistics snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def stats() -> None:
    """Official statistics (form JBZH0001): snapshots of the indicator catalogue.

    \b
    Example:
      minzheng stats snapshot --period 2024Q3
    """


@stats.command("snapshot")
@click.option("--period", required=True, help="2024Q3 (quarter), 2024-07 (month) or 2024 (year).")
@click.option("--as-of", "as_of", default=None, help="Treat this date as today (YYYY-MM-DD).")
def snapshot_cmd(period: str, as_of: str | None) -> None:
    """Compute every indicator for every division of a period; always a new version.

    A period not yet over gives a provisional snapshot. Prints a JSON summary.

    \b
    Example:
      minzheng stats snapshot --period 2024Q3
    """
    import datetime as dt

    from minzheng.stats.periods import PeriodError
    from minzheng.stats.services import stats_snapshot
    from minzheng.stats.tasks import summary

    try:
        snap = stats_snapshot(period, as_of=dt.date.fromisoformat(as_of) if as_of else None)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    click.echo(json.dumps(summary(snap), ensure_ascii=False, indent=2))


@stats.group("values")
def values_group() -> None:
    """Entered aggregate figures (data sets): import and export.

    \b
    Example:
      minzheng stats values import values.csv --as county-clerk
      minzheng stats values export --period 2024Q3 --division 440106 --out v.csv
    """


@values_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default=None, help="Act as this user (default: system).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the full JSON report (every bad row) here.")  # fmt: skip
def values_import_cmd(file: Path, username: str | None, report: Path | None) -> None:
    """Import a CSV of division,period,indicator,value (value in report units, e.g. 万张).

    Optional columns comment and justification. Bad rows are reported with row, column and
    reason; the good ones land in one transaction; approved or submitted data is refused.

    \b
    Example:
      minzheng stats values import values.csv --as county-clerk --report errors.json
    """
    from minzheng.cli import import_summary
    from minzheng.stats.datasets import DataSetError, values_import_csv

    actor = _actor(username)
    try:
        data = values_import_csv(actor=actor, data=file.read_bytes(), source="cli")
    except DataSetError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    import_summary(data, report, ("rows", "created", "updated", "unchanged", "skipped", "rejected"))


@values_group.command("export")
@click.option("--period", required=True, help="2024Q3 (quarter), 2024-07 (month) or 2024 (year).")
@click.option("--division", default="", help="Code prefix: 44 (province), 4401, 440106.")
@click.option("--dataset", default="", help="One data set (e.g. institutions); default all.")
@click.option("--format", "fmt", type=click.Choice(["csv", "adx"]), default="csv",
              help="csv: report units (万张); adx: DHIS2 ADX XML, base units (张).")  # fmt: skip
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def values_export_cmd(period: str, division: str, dataset: str, fmt: str, out: Path) -> None:
    """Write the counties' entered values of a period as CSV or ADX.

    \b
    Example:
      minzheng stats values export --period 2024Q3 --division 44 --format adx --out q3.xml
    """
    from minzheng.stats.adx import values_adx
    from minzheng.stats.datasets import DataSetError, values_csv

    try:
        write = values_adx if fmt == "adx" else values_csv
        text = write(period=period, prefix=division.strip(), dataset=dataset)
    except DataSetError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    out.write_text(text, encoding="utf-8")
    click.echo(json.dumps({"out": str(out), "format": fmt}, ensure_ascii=False))


def _actor(username: str | None) -> Any:
    from minzheng.accounts.services import actor_by_username

    try:
        return actor_by_username(username)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc


def _approval(action: str, dataset: str, period: str, division: str, username: str,
              reason: str = "") -> None:  # fmt: skip
    from minzheng.divisions.models import Division
    from minzheng.stats import datasets as svc

    found = Division.objects.current().filter(code=division.ljust(12, "0")).first()
    if found is None:
        raise click.BadParameter(
            f"区划不存在 / no such division: {division}", param_hint="--division"
        )
    kw: dict[str, Any] = {"actor": _actor(username), "dataset": dataset, "period": period,
                          "division": found, "source": "cli"}  # fmt: skip
    try:
        if action == "return":
            row = svc.dataset_return(reason=reason, **kw)
        else:
            row = {"submit": svc.dataset_submit, "approve": svc.dataset_approve}[action](**kw)
    except svc.DataSetError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    click.echo(json.dumps({"dataset": row.dataset, "period": row.period,
                           "division": row.division_code[:6], "state": row.state}))  # fmt: skip


_STEP = [
    click.option(
        "--dataset", required=True, help="Data set (catalogue section), e.g. institutions."
    ),
    click.option("--period", required=True, help="2024Q3, 2024-07 or 2024."),
    click.option("--division", required=True, help="Code of the division acted on (440106)."),
    click.option("--as", "username", required=True, help="The acting user."),
]


def _step_options(fn: Any) -> Any:
    for opt in reversed(_STEP):
        fn = opt(fn)
    return fn


@stats.command("submit")
@_step_options
def submit_cmd(dataset: str, period: str, division: str, username: str) -> None:
    """A county submits a data set for a period (refused while validation fails).

    \b
    Example:
      minzheng stats submit --dataset institutions --period 2024Q3 --division 440106 --as clerk
    """
    _approval("submit", dataset, period, division, username)


@stats.command("approve")
@_step_options
def approve_cmd(dataset: str, period: str, division: str, username: str) -> None:
    """The level above approves a division's data set (the values below lock).

    \b
    Example:
      minzheng stats approve --dataset institutions --period 2024Q3 --division 440106 --as gz-approver
    """
    _approval("approve", dataset, period, division, username)


@stats.command("return")
@_step_options
@click.option("--reason", required=True, help="Why it goes back (shown to the division).")
def return_cmd(dataset: str, period: str, division: str, username: str, reason: str) -> None:
    """The level above returns a submission or approval with a reason.

    \b
    Example:
      minzheng stats return --dataset institutions --period 2024Q3 --division 440106 \\
        --as gz-approver --reason "床位数有误"
    """
    _approval("return", dataset, period, division, username, reason)

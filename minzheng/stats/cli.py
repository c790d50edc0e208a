"""``minzheng stats …``: official statistics snapshots."""

from __future__ import annotations

import json

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

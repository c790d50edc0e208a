"""``minzheng calendar``: load, import and show the official working-day calendar.

Registered in the main command line with ``main.add_command(calendar)``. Django is set
up inside each command (``minzheng.cli.setup_django``, imported late to avoid a cycle).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click


def _setup() -> None:
    from minzheng.cli import setup_django

    setup_django()


@click.group("calendar", context_settings={"help_option_names": ["-h", "--help"]})
def calendar() -> None:
    """The official holiday calendar (法定节假日与调休) that deadlines count on.

    \b
    Example:
      minzheng calendar load
      minzheng calendar import 2027节假日安排.xlsx --source 国办发明电〔2026〕1号
      minzheng calendar show 2025
    """


@calendar.command("load")
def calendar_load() -> None:
    """Load every year the bundled chinese-calendar package covers (safe to re-run).

    Years imported from a State Council file are left as they are.

    \b
    Example:
      minzheng calendar load
    """
    _setup()
    from minzheng.workdays.services import calendar_seed

    click.echo(json.dumps(vars(calendar_seed())))


@calendar.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", required=True, help="The notice, e.g. 国办发明电〔2026〕1号.")
@click.option(
    "--year", type=int, help="Year the file covers (default: the year most rows fall in)."
)
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--as", "username", help="User named in the audit trail (default: system import).")
def calendar_import_cmd(
    file: Path, source: str, year: int | None, report: Path | None, username: str | None
) -> None:
    """Import a year's holidays (休) and make-up working days (班) from .xlsx or .csv.

    Columns 日期, 类型 (休/班), 名称. The year is marked imported only when no row is
    rejected. Exits 0 when the file was read (rejected rows are in the report), 1 when
    it could not be read at all.

    \b
    Example:
      minzheng calendar template --out 节假日安排模板.xlsx
      minzheng calendar import 2027.xlsx --source 国办发明电〔2026〕1号 --report report.json
    """
    _setup()
    from minzheng.accounts.services import actor_by_username
    from minzheng.workdays.importing import CalendarFileError
    from minzheng.workdays.services import calendar_import

    try:
        actor = actor_by_username(username)
        result = calendar_import(file, source=source, year=year, actor=actor)
    except CalendarFileError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    data = result.as_dict()
    if report:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    keys = ("year", "rows", "created", "updated", "unchanged", "rejected", "covered")
    click.echo(json.dumps({k: data[k] for k in keys}, ensure_ascii=False))
    for e in result.errors[:20]:
        click.echo(f"第 {e.row} 行 row {e.row} [{e.column}] {e.reason} / {e.reason_en}", err=True)
    click.echo(f"{result.message} / {result.message_en}", err=True)


@calendar.command("show")
@click.argument("year", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="CSV in the import format (re-importable).")
def calendar_show(year: int, as_csv: bool) -> None:
    """List a year's holidays and make-up working days, and whether the year is imported.

    \b
    Example:
      minzheng calendar show 2025
      minzheng calendar show 2025 --csv > 2025.csv
    """
    _setup()
    from minzheng.core.xlsx import csv_cell
    from minzheng.workdays.selectors import calendar_export, covered_years

    rows = calendar_export(year)
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["日期"])
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
        return
    for r in rows:
        click.echo("  ".join(v for v in r.values() if v))
    if year not in covered_years():
        click.echo(
            f"{year} 年的法定节假日安排尚未导入 / the {year} schedule has not been imported",
            err=True,
        )


@calendar.command("template")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write .xlsx.")
def calendar_template(out: Path) -> None:
    """Write the blank import template (日期, 类型 休/班 dropdown, 名称, instructions).

    \b
    Example:
      minzheng calendar template --out 节假日安排模板.xlsx
    """
    from minzheng.workdays.template import template_xlsx

    out.write_bytes(template_xlsx())
    click.echo(str(out))

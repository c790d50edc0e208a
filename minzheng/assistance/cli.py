"""``minzheng assess`` and ``minzheng parameters …``: the calculator and parameter tables."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
def assess(file: Path) -> None:
    """Check one household against every programme; stdout is pure JSON.

    FILE is a JSON document (``-`` reads stdin): division, date, urban, members (with
    monthly_income, disability, self_care_failed …), assets, supporters_able, care_mode,
    emergency and optional parameter overrides. Exit 0 with the answer, 2 on a bad document.

    \b
    Example:
      minzheng assess household.json | jq .programmes.dibao
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.assess import AssessError
    from minzheng.assistance.services import household_assess

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        error = {
            "error": f"JSON 格式错误：第 {exc.lineno} 行：{exc.msg}",
            "error_en": f"invalid JSON: line {exc.lineno}: {exc.msg}",
            "field": "$",
        }
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(2)
    try:
        answer = household_assess(doc)
    except AssessError as exc:
        click.echo(json.dumps({"error": exc.message, "error_en": exc.message_en,
                               "field": exc.path}, ensure_ascii=False), err=True)  # fmt: skip
        sys.exit(2)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def parameters() -> None:
    """Assistance parameters: dated values per division (national defaults, local overrides).

    \b
    Example:
      minzheng parameters show dibao_urban_fen --division 440106 --date 2024-07-01
    """


@parameters.command("show")
@click.argument("name")
@click.option("--division", default="", help="Division code (2–12 digits); empty = nation.")
@click.option("--date", "day", help="Date (YYYY-MM-DD, default today).")
def parameters_show(name: str, division: str, day: str | None) -> None:
    """Which value of NAME applies to a division on a date, from which division, since when.

    \b
    Example:
      minzheng parameters show dibao_urban_fen --division 440106 --date 2024-07-01
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.parameters import parameter_lookup
    from minzheng.core.errors import BilingualError

    try:
        on = dt.date.fromisoformat(day) if day else dt.date.today()
    except ValueError:
        raise click.ClickException(
            f"日期须为 YYYY-MM-DD / date must be YYYY-MM-DD: {day}"
        ) from None
    try:
        found = parameter_lookup(name, division, on)
    except BilingualError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    if found is None:
        raise click.ClickException(f"{name} 在该日期没有取值 / has no value on that date")
    click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))


@parameters.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True))
@click.option("--as", "username", help="User named in the audit trail (default: system).")
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
def parameters_import_cmd(file: Path, username: str | None, report: Path | None) -> None:
    """Import a parameter table (.xlsx or .csv: 参数, 区划, 取值, 起始日期, 截止日期, 依据).

    Money is in yuan. Rows already present change nothing; bad rows are reported with
    row, column and reason and the others still land. Exit 1 when the file cannot be read.

    \b
    Example:
      minzheng parameters import 2025年低保标准.xlsx --as province44 --report report.json
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.accounts.services import actor_by_username
    from minzheng.assistance.param_io import parameters_import

    try:
        actor = actor_by_username(username) if username else None
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    result = parameters_import(file, actor=actor)
    data = result.as_dict()
    unreadable = result.rows == 0 and any(e["row"] == 0 for e in data["errors"])
    if report:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(json.dumps({k: v for k, v in data.items() if k != "errors"}, ensure_ascii=False))
    for e in data["errors"][:20]:
        click.echo(f"第 {e['row']} 行 {e['column']}：{e['message']} / {e['message_en']}", err=True)
    if unreadable:
        sys.exit(1)


@parameters.command("export")
@click.option("--out", type=click.Path(path_type=Path), required=True, help=".xlsx or .csv")
@click.option("--division", default="", help="Only rows for this prefix and its parents.")
def parameters_export_cmd(out: Path, division: str) -> None:
    """Export parameter rows (the same layout the import reads).

    \b
    Example:
      minzheng parameters export --division 440106 --out 天河区救助参数.xlsx
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.param_io import parameters_export

    n = parameters_export(out, division=division)
    click.echo(json.dumps({"rows": n, "file": str(out)}, ensure_ascii=False))


@click.command()
@click.option("--division", default="", help="Division code prefix to simulate (e.g. 44).")
@click.option(
    "--set", "changes", multiple=True, required=True,
    help="NAME=CHANGE, e.g. dibao_standard=+5%, dibao_urban_fen=+50, marginal_pct=200.",
)  # fmt: skip
@click.option("--date", "day", help="Date (YYYY-MM-DD, default today).")
@click.option("--snapshot", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Read a snapshot directory (Parquet) instead of the database.")  # fmt: skip
@click.option(
    "--out", type=click.Path(path_type=Path), help="Also write the table (.xlsx or .csv)."
)
def simulate(
    division: str,
    changes: tuple[str, ...],
    day: str | None,
    snapshot: Path | None,
    out: Path | None,
) -> None:
    """Run 低保 eligibility under changed parameters; per subordinate division: newly eligible,
    no longer eligible, unchanged, monthly and annual cost change, households at the cliff.

    \b
    Example:
      minzheng simulate --division 44 --set dibao_standard=+5% --date 2024-07-01
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.services import simulation_run
    from minzheng.core.errors import BilingualError

    on = dt.date.fromisoformat(day) if day else dt.date.today()
    try:
        result = simulation_run(division=division, changes=list(changes), on=on, snapshot=snapshot)
    except BilingualError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    if out:
        from minzheng.assistance.services import simulation_export

        simulation_export(result, out)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def roster() -> None:
    """Monthly payment rosters: generate, export the bank file, import the bank's result.

    \b
    Example:
      minzheng roster generate --county 440106 --programme dibao --month 2024-10
    """


def _county(code: str) -> object:
    from minzheng.divisions.models import Division

    found = Division.objects.current().filter(code=code.ljust(12, "0"), level=3).first()
    if found is None:
        raise click.ClickException(f"不是现行县级区划 / not a current county: {code}")
    return found


@roster.command("generate")
@click.option("--county", required=True, help="6-digit county code.")
@click.option("--programme", default="dibao", show_default=True)
@click.option("--month", required=True, help="YYYY-MM")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Also write the bank file (.xlsx/.csv)."
)
def roster_generate_cmd(county: str, programme: str, month: str, out: Path | None) -> None:
    """Create or refresh a county's roster for a month (idempotent); print its totals.

    \b
    Example:
      minzheng roster generate --county 440106 --programme dibao --month 2024-10 --out 10月.xlsx
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.payments import roster_export, roster_generate
    from minzheng.core.errors import BilingualError

    try:
        first = dt.date.fromisoformat(month + "-01")
        got = roster_generate(actor=None, county=_county(county), programme=programme,  # type: ignore[arg-type]
                              month=first)  # fmt: skip
    except ValueError as exc:
        raise click.ClickException(f"月份须为 YYYY-MM / month must be YYYY-MM: {exc}") from exc
    except BilingualError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    r = got.roster
    if out:
        roster_export(r, out)
    click.echo(json.dumps({"roster": r.pk, "rows": r.rows, "total_yuan": f"{r.total_fen / 100:.2f}",
                           "checksum": r.checksum, "created": got.created, "removed": got.removed,
                           "updated": got.updated, "adjusted": got.adjusted,
                           "paid_elsewhere": len(got.elsewhere)}, ensure_ascii=False))  # fmt: skip


@roster.command("result")
@click.argument("roster_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, exists=True))
def roster_result_cmd(roster_id: int, file: Path) -> None:
    """Import the bank's result file (证件号码, 金额, 结果, 失败原因) and reconcile.

    \b
    Example:
      minzheng roster result 12 银行回盘.xlsx
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.models import Roster
    from minzheng.assistance.payments import bank_result_import, roster_reconcile
    from minzheng.core.errors import BilingualError

    r = Roster.objects.filter(pk=roster_id).first()
    if r is None:
        raise click.ClickException(f"花名册不存在 / no roster {roster_id}")
    try:
        got = bank_result_import(actor=None, roster=r, path=file)
    except BilingualError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    rec = roster_reconcile(r)
    rec["failures"] = [list(f) for f in rec["failures"]]
    click.echo(json.dumps({"import": got.as_dict(), "reconcile": rec}, ensure_ascii=False))


@click.command("price-index")
@click.argument("file", type=click.Path(path_type=Path, exists=True))
@click.option("--source", default="", help="Where the figures come from (statistics bureau).")
def price_index_cmd(file: Path, source: str) -> None:
    """Import monthly CPI and food-CPI year-on-year rises (区划, 月份, CPI同比, 食品CPI同比, in %).

    \b
    Example:
      minzheng price-index 2024年CPI.xlsx --source 广东省统计局
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.assistance.price import price_index_import
    from minzheng.core.errors import BilingualError

    try:
        got = price_index_import(file, source=source)
    except BilingualError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    click.echo(json.dumps({"rows": got.rows, "saved": got.saved, "errors": got.errors},
                          ensure_ascii=False))  # fmt: skip

"""``minzheng report``: the statistics report of a division and period as a file."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("report", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--period", required=True, help="2024Q3 (quarter), 2024-07 (month) or 2024 (year).")
@click.option(
    "--division", "division", default="", help="Division code (2–12 digits); default: the nation."
)
@click.option(
    "--format",
    "fmt",
    required=True,
    metavar="xlsx|pdf|md",
    help="xlsx (form JBZH0001), pdf (the same, printable) or md (narrative, 中文 then English).",
)
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write."
)
@click.option(
    "--as", "username", help="Report what this user may see (default: the system, everything)."
)
@click.option(
    "--public", is_flag=True, help="For publication: withhold small counts and their complements."
)
def report_cmd(period: str, division: str, fmt: str, out: Path, username: str | None,
               public: bool) -> None:  # fmt: skip
    """Write the statistics report (form JBZH0001) of a division for a period.

    Figures come from the newest snapshot of the period (run `minzheng stats snapshot`
    first) and the aggregate data sets. The export is audited.

    \b
    Example:
      minzheng report --period 2024Q3 --division 44 --format xlsx --out 广东省民政统计季报.xlsx
      minzheng report --period 2024Q3 --format md --out report.md --public
    """
    from minzheng.cli import setup_django

    setup_django()
    from minzheng.accounts.services import actor_by_username, system_actor
    from minzheng.stats.figures import ReportError
    from minzheng.stats.report import report_export

    try:
        actor = actor_by_username(username) if username else None
        got = report_export(actor=actor, period=period, division_code=division, fmt=fmt,
                            public=public, audit_as=actor or system_actor())  # fmt: skip
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--as") from exc
    except ReportError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    try:
        out.write_bytes(got.content)
    except OSError as exc:
        raise click.ClickException(
            f"无法写入文件 {out}：{exc.strerror} / cannot write {out}: {exc.strerror}"
        ) from exc
    summary = {"file": str(out), "period": got.table.period, "division": got.table.division_code,
               "snapshot_version": got.table.snapshot_version, "public": public,
               "provisional": got.table.provisional}  # fmt: skip
    click.echo(json.dumps(summary, ensure_ascii=False))

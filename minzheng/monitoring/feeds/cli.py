"""``minzheng import feed`` and ``minzheng template feed``: thin wrappers over the services."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _kinds_table() -> list[dict[str, str]]:
    from minzheng.monitoring.feeds.kinds import kinds

    return [
        {"kind": k.kind, "title": k.title, "title_en": k.title_en, "department": k.department}
        for k in kinds()
    ]


@click.command("feed")
@click.argument("kind", required=False)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--as", "username", help="User named in the audit trail (default: system import).")
@click.option("--list", "list_kinds", is_flag=True, help="List the feed kinds and exit.")
def feed(
    kind: str | None, file: Path | None, report: Path | None, username: str | None, list_kinds: bool
) -> None:
    """Import a department feed (KIND, e.g. medical) from .xlsx, .xls, .csv or .parquet.

    Prints a JSON summary; exits 0 when the file was read (rejected rows are in the
    report), 1 when it could not be read at all. Re-importing a file changes nothing.

    \b
    Example:
      minzheng import feed medical 医保结算_202407.xlsx --report report.json
      minzheng import feed --list
    """
    from minzheng.cli import _disk_full_exit, _progress, import_summary, setup_django

    setup_django()
    if list_kinds:
        click.echo(json.dumps(_kinds_table(), ensure_ascii=False, indent=2))
        return
    if not kind or file is None:
        raise click.UsageError("需要 KIND 和 FILE / KIND and FILE are required (see --list)")
    from minzheng.accounts.rls import acting_as
    from minzheng.accounts.services import actor_by_username
    from minzheng.monitoring.feeds.importing import KindError, UnreadableFile, feed_import

    try:
        actor = actor_by_username(username)
        with acting_as(actor):  # row-level security: --as user's division (system: all)
            result = feed_import(
                kind=kind, path=file, actor=actor, progress=_progress("导入 importing")
            )
    except (UnreadableFile, KindError) as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        _disk_full_exit(exc)
        raise
    keys = ("kind", "rows", "created", "updated", "unchanged", "rejected", "id_invalid", "batch")
    import_summary(result.as_dict(), report, keys)


@click.command("feed")
@click.argument("kind")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write .xlsx.")
def feed_template(kind: str, out: Path) -> None:
    """Write the import template of a feed KIND (instructions, dropdowns, ID column as text).

    \b
    Example:
      minzheng template feed medical --out 医保结算导入模板.xlsx
    """
    from minzheng.monitoring.feeds.kinds import KindError
    from minzheng.monitoring.feeds.template import write_feed_template

    try:
        click.echo(str(write_feed_template(kind, out)))
    except KindError as exc:
        raise click.ClickException(f"{exc.message} / {exc.message_en}") from exc

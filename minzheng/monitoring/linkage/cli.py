"""``minzheng link``: link two tables of people and write the pairs (no database needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

_TABLE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("link")
@click.argument("left", type=_TABLE)
@click.argument("right", type=_TABLE)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML field mapping, thresholds, blocking (default: the built-in default.yaml).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV to write: left_id,right_id,match_probability,method.",
)
@click.option("--left-id", help="Key column of LEFT (overrides fields.left.id).")
@click.option("--right-id", help="Key column of RIGHT (overrides fields.right.id).")
def link(
    left: Path,
    right: Path,
    config_path: Path | None,
    out: Path,
    left_id: str | None,
    right_id: str | None,
) -> None:
    """Link LEFT records to RIGHT ones: exact on valid ID numbers, probabilistic otherwise.

    LEFT and RIGHT are .csv or .parquet files. Each left record gets at most one
    right record, its best candidate with a match probability at or above the review
    threshold; pairs below the accept threshold are for clerical review. Prints a JSON
    summary (pairs, exact, probabilistic, review, seconds); exit 2 on a bad config.

    \b
    Example:
      minzheng link feed.csv persons.parquet --config link.yaml --out pairs.csv
    """
    from minzheng.monitoring.linkage.config import LinkConfigError, load_config
    from minzheng.monitoring.linkage.link import link_tables

    try:
        config = load_config(config_path).with_ids(left_id, right_id)
        result = link_tables(left, right, config)
    except LinkConfigError as exc:
        _fail({"error": exc.message, "error_en": exc.message_en, "key": exc.key})
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        _fail({"error": f"输入表错误：{message}", "error_en": f"bad input table: {message}"})
    _write_csv(result.pairs, out)
    click.echo(json.dumps({**result.summary(), "out": str(out)}, ensure_ascii=False))


def _fail(error: dict[str, str]) -> NoReturn:
    click.echo(json.dumps(error, ensure_ascii=False), err=True)
    sys.exit(2)


def _write_csv(pairs: object, out: Path) -> None:
    """CSV with quotes only where a value needs them (DuckDB's writer; Arrow quotes all text)."""
    import duckdb

    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("pairs", pairs)
        target = str(out).replace("'", "''")
        con.execute(f"COPY pairs TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        con.close()

"""Reading the two tables into DuckDB with canonical, normalised columns.

Each side becomes a table ``<side>_c`` with ``unique_id`` (the row number, an
integer surrogate key), ``rid`` (the caller's key), ``id_number`` and ``id_valid``,
``name``, ``name_py`` (pinyin key), ``name_init``, ``sex``, ``birth_date``
(``YYYY-MM-DD``), ``birth_year``, ``birth_month``, ``division``, ``division2``
and ``address``. Unmapped fields are NULL.

ID numbers are checked in SQL generated from :mod:`minzheng.identity.resident_id`
(its weights, check characters, earliest birth date and province codes), so 3 M rows
are validated in one vectorised pass; a test compares the SQL with ``parse``.

Pinyin is read one character at a time (surnames with the identity module's
overrides and compound-surname list) and computed once per distinct name: two
names that sound alike get the same key whatever phrase the characters make.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.identity.names import COMPOUND_SURNAMES, MIDDLE_DOT, SURNAME_PINYIN, normalise_name
from minzheng.identity.resident_id import CHECK_CHARS, EARLIEST_BIRTH, PROVINCE_CODES, WEIGHTS

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from minzheng.monitoring.linkage.config import LinkConfig

_FULL_WIDTH = "０１２３４５６７８９Ｘｘx"
_ASCII = "0123456789XXX"


def read_table(source: Any) -> pa.Table:
    """An Arrow table from an Arrow table or a ``.parquet`` / ``.csv`` path (CSV all text)."""
    import pyarrow as pa

    if isinstance(source, pa.Table):
        return source
    import duckdb

    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{path}: expected a .csv or .parquet file")
    con = duckdb.connect()
    try:
        if suffix == ".parquet":
            return con.read_parquet(str(path)).to_arrow_table()
        # IDs and division codes must stay text: never let CSV sniffing make them numbers
        return con.read_csv(str(path), all_varchar=True, header=True).to_arrow_table()
    finally:
        con.close()


def check_char_sql(expr: str) -> str:
    """SQL for the ISO 7064 MOD 11-2 check character of the first 17 digits of ``expr``."""
    terms = " + ".join(
        f"(ascii(substr({expr}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS)
    )
    return f"substr('{CHECK_CHARS}', (({terms}) % 11) + 1, 1)"


def id_valid_sql(expr: str, today: dt.date) -> str:
    """SQL true when ``expr`` (normalised, 18 characters) is a valid resident ID number."""
    provinces = ", ".join(f"'{p}'" for p in sorted(PROVINCE_CODES))
    born = f"try_strptime(substr({expr}, 7, 8), '%Y%m%d')"
    return (
        f"coalesce(regexp_full_match({expr}, '[0-9]{{17}}[0-9X]')"
        f" AND substr({expr}, 18, 1) = {check_char_sql(expr)}"
        f" AND {born} BETWEEN DATE '{EARLIEST_BIRTH}' AND DATE '{today}'"
        f" AND substr({expr}, 1, 2) IN ({provinces}), false)"
    )


def _id_text_sql(col: str | None) -> str:
    """ID text without spaces, in ASCII with an upper-case X, or NULL."""
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    text = f"CAST({_q(col)} AS VARCHAR)"
    tidy = (
        f"nullif(upper(translate(regexp_replace({text}, "
        f"'[\\s\\x{{200b}}\\x{{feff}}]', '', 'g'), '{_FULL_WIDTH}', '{_ASCII}')), '')"
    )
    # most numbers are already clean: skip the costly clean-up for them
    return f"CASE WHEN regexp_full_match({text}, '[0-9]{{17}}[0-9X]') THEN {text} ELSE {tidy} END"


def id_upgrade_sql(expr: str) -> str:
    """SQL turning a legacy 15-digit number into 18 characters; other text unchanged."""
    body = f"(substr({expr}, 1, 6) || '19' || substr({expr}, 7))"
    return (
        f"CASE WHEN regexp_full_match({expr}, '[0-9]{{15}}') "
        f"THEN {body} || {check_char_sql(body)} ELSE {expr} END"
    )


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _text_sql(col: str | None) -> str:
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    return f"nullif(trim(CAST({_q(col)} AS VARCHAR)), '')"


def _sex_sql(col: str | None) -> str:
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    s = f"upper(trim(CAST({_q(col)} AS VARCHAR)))"
    return (
        f"CASE WHEN {s} IN ('1', '男', 'M', 'MALE') THEN '1' "
        f"WHEN {s} IN ('2', '女', 'F', 'FEMALE') THEN '2' END"
    )


def _date_sql(col: str | None) -> str:
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    text = f"trim(CAST({_q(col)} AS VARCHAR))"
    parsed = f"coalesce(try_cast({text} AS DATE), try_strptime({text}, '%Y%m%d')::DATE)"
    return f"strftime({parsed}, '%Y-%m-%d')"


def _division_sql(col: str | None) -> str:
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    code = f"nullif(regexp_replace(CAST({_q(col)} AS VARCHAR), '\\s', '', 'g'), '')"
    return f"rpad({code}, 12, '0')"


def canonical(
    con: duckdb.DuckDBPyConnection,
    side: str,
    table: pa.Table,
    config: LinkConfig,
    *,
    today: dt.date,
) -> int:
    """Create ``<side>_c`` from ``table`` as mapped by ``config``; return its row count."""
    import pyarrow as pa

    missing = [
        c for cols in (config.left if side == "left" else config.right).values() for c in cols
    ]
    missing = [c for c in missing if c not in table.column_names]
    if missing:
        raise KeyError(f"{side}: column {missing[0]!r} is not in the table")
    raw = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    con.register(f"{side}_raw", raw)
    col = lambda name: config.column(side, name)  # noqa: E731
    divisions = (config.left if side == "left" else config.right).get("division") or []
    id_col = col("id")
    rid = _q(id_col) if id_col else "__row"
    con.execute(f"""
        CREATE OR REPLACE TABLE {side}_n AS
        SELECT __row AS unique_id, {rid} AS rid,
          {_id_text_sql(col("id_number"))} AS id_text,
          {_text_sql(col("name"))} AS name_raw,
          {_text_sql(col("name_pinyin"))} AS name_py_given,
          {_sex_sql(col("sex"))} AS sex,
          {_date_sql(col("birth_date"))} AS birth_date,
          {_division_sql(divisions[0] if divisions else None)} AS division,
          {_division_sql(divisions[1] if len(divisions) > 1 else None)} AS division2,
          {_text_sql(col("address"))} AS address
        FROM {side}_raw
    """)
    con.unregister(f"{side}_raw")
    _name_keys(con, side)
    con.execute(f"""
        CREATE OR REPLACE TABLE {side}_c AS
        SELECT n.unique_id, n.rid, n.id_number, {id_valid_sql("n.id_number", today)} AS id_valid,
          k.name, coalesce(replace(lower(n.name_py_given), ' ', ''), k.name_py) AS name_py,
          k.name_init, n.sex, n.birth_date,
          substr(n.birth_date, 1, 4) AS birth_year, substr(n.birth_date, 1, 7) AS birth_month,
          n.division, n.division2, n.address
        FROM (SELECT *, {id_upgrade_sql("id_text")} AS id_number FROM {side}_n) n
        LEFT JOIN {side}_names k ON k.name_raw = n.name_raw
    """)
    con.execute(f"DROP TABLE {side}_n; DROP TABLE {side}_names")
    count = con.sql(f"SELECT count(*) FROM {side}_c").fetchall()[0]
    return int(count[0]) if count else 0


def _name_keys(con: duckdb.DuckDBPyConnection, side: str) -> None:
    """``<side>_names``: each distinct raw name, normalised, with its pinyin key and initials."""
    import pyarrow as pa

    distinct = con.sql(f"SELECT DISTINCT name_raw FROM {side}_n WHERE name_raw IS NOT NULL")
    raw = distinct.to_arrow_table().column(0).to_pylist()
    norm = [normalise_name(n) for n in raw]
    syllables = [name_syllables(n) for n in norm]
    keys = pa.table(
        {
            "name_raw": pa.array(raw, pa.string()),
            "name": pa.array([n or None for n in norm], pa.string()),
            "name_py": pa.array(["".join(s) or None for s in syllables], pa.string()),
            "name_init": pa.array(["".join(x[0] for x in s) or None for s in syllables]),
        }
    )
    con.register(f"{side}_names_arrow", keys)
    con.execute(f"CREATE OR REPLACE TABLE {side}_names AS SELECT * FROM {side}_names_arrow")
    con.unregister(f"{side}_names_arrow")


def name_syllables(name: str) -> list[str]:
    """Toneless pinyin syllables of a normalised name, read character by character."""
    text = name.replace(MIDDLE_DOT, "").replace(" ", "")
    if len(text) > 2 and text[:2] in COMPOUND_SURNAMES:
        surname, given = text[:2], text[2:]
    else:
        surname, given = text[:1], text[1:]
    head = SURNAME_PINYIN[surname].split() if surname in SURNAME_PINYIN else _chars(surname)
    return head + _chars(given)


def _chars(text: str) -> list[str]:
    return [_char_pinyin(c) for c in text]


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    """One character's most common reading (ü as v); other characters lower-cased."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(char)).lower()

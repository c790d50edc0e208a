"""Snapshots: the registry as it stood on a date, read out of the database as Arrow.

One consistent read (a REPEATABLE READ transaction on PostgreSQL, one read
transaction on SQLite), set-based, never row by row through the ORM:

* ``via="adbc"`` — a separate ADBC connection (COPY-binary on PostgreSQL); the fast
  path for batch passes, outside any open transaction;
* ``via="connection"`` — Django's own connection (``COPY … TO STDOUT`` as CSV on
  PostgreSQL, the cursor on SQLite); sees the caller's uncommitted rows (tests,
  a caseworker's screen) and works with an in-memory SQLite database.

Dated facts (membership, location, condition, income, asset) are taken as of the
date: ``valid_from <= day < valid_to`` (``valid_to`` NULL = open). Primary keys
become the ``*_sk`` surrogate keys the engine joins on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog
from minzheng.engine.errors import EngineError

if TYPE_CHECKING:
    import pyarrow as pa

TABLES = ("division", "household", "person", "income", "asset")


@dataclass
class Snapshot:
    """Arrow tables of the registry on ``as_of`` (schemas as in :mod:`catalog`)."""

    as_of: dt.date
    tables: dict[str, pa.Table]
    source: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def write(self, directory: Path | str) -> Path:
        """Write one Parquet file per table and a ``manifest.json``."""
        import pyarrow.parquet as pq

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables.items():
            pq.write_table(table, out / f"{name}.parquet")
        manifest = {
            "as_of": self.as_of.isoformat(),
            "source": self.source,
            "rows": {n: t.num_rows for n, t in self.tables.items()},
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return out

    @classmethod
    def read(cls, directory: Path | str) -> Snapshot:
        """Read a snapshot written by :meth:`write`."""
        import pyarrow.parquet as pq

        src = Path(directory)
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
        tables = {n: pq.read_table(src / f"{n}.parquet") for n in manifest["rows"]}
        return cls(dt.date.fromisoformat(manifest["as_of"]), tables, manifest.get("source", ""))


def snapshot_take(
    *,
    on: dt.date,
    via: str = "auto",
    households: Sequence[int] | None = None,
    tables: Iterable[str] = TABLES,
    using: str = "default",
) -> Snapshot:
    """Read the registry as of ``on`` (optionally only some households) into Arrow."""
    from django.db import connections

    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise EngineError(f"snapshots read PostgreSQL or SQLite, not {vendor}")
    if via == "auto":
        via = "adbc" if _adbc_possible(connection) else "connection"
    if via == "adbc":
        settings, scope = _adbc_role(connection)
        return snapshot_adbc(
            on=on,
            vendor=vendor,
            settings=settings,
            households=households,
            tables=tables,
            scope=scope,
        )
    queries = {n: _query(n, on, households) for n in tables}
    start = time.perf_counter()
    out, timings = _ConnectionReader(connection).read(queries)
    snap = Snapshot(on, out, f"{vendor}/connection", time.perf_counter() - start, timings)
    _check_unique(snap)
    return snap


def snapshot_adbc(
    *,
    on: dt.date,
    vendor: str,
    settings: dict[str, Any],
    households: Sequence[int] | None = None,
    tables: Iterable[str] = TABLES,
    scope: str | None = None,
) -> Snapshot:
    """Read a database by its Django-style settings (NAME, USER, HOST …) over ADBC.

    ``scope`` is the row-level security scope to read in (``minzheng.scope``, ADR 005);
    ``None`` keeps the role's own (the batch role's is everything).
    """
    queries = {n: _query(n, on, households) for n in tables}
    start = time.perf_counter()
    out, timings = _AdbcReader(vendor, settings, scope).read(queries)
    snap = Snapshot(on, out, f"{vendor}/adbc", time.perf_counter() - start, timings)
    _check_unique(snap)
    return snap


def _adbc_role(connection: Any) -> tuple[dict[str, Any], str | None]:
    """Whom ADBC connects as: the batch role when ``BATCH_DATABASE_URL`` is set (it reads
    everything), else the connection's own role in the acting scope (ADR 005)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from minzheng.accounts import rls

    if connection.alias == DEFAULT_DB_ALIAS and "batch" in connections:
        return connections["batch"].settings_dict, None
    return connection.settings_dict, rls.current_value()


def _adbc_possible(connection: Any) -> bool:
    """ADBC opens its own connection: only outside a transaction and never for :memory:."""
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        return not (name.startswith("file:") or name == ":memory:")
    return True


def _check_unique(snap: Snapshot) -> None:
    """Overlapping dated rows would duplicate a person; refuse rather than double-count."""
    import pyarrow.compute as pc

    for name in ("person", "household"):
        table = snap.tables.get(name)
        if (
            table is not None
            and pc.count_distinct(table.column(f"{name}_sk")).as_py() != table.num_rows
        ):
            raise EngineError(
                f"snapshot: overlapping dated facts give some {name}s two rows on {snap.as_of}"
            )


# --- queries (portable SQL: runs as written on PostgreSQL and SQLite) ----------------------------
def _names() -> dict[str, str]:
    from minzheng.divisions.models import Division
    from minzheng.registry import models as m

    return {
        "division": Division._meta.db_table,
        "household": m.Household._meta.db_table,
        "person": m.Person._meta.db_table,
        "membership": m.Membership._meta.db_table,
        "location": m.Location._meta.db_table,
        "condition": m.Condition._meta.db_table,
        "income": m.Income._meta.db_table,
        "asset": m.Asset._meta.db_table,
    }


def _on(alias: str, day: dt.date) -> str:
    d = day.isoformat()
    return f"{alias}.valid_from <= '{d}' AND ({alias}.valid_to IS NULL OR {alias}.valid_to > '{d}')"


def _ids(values: Sequence[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _query(name: str, day: dt.date, households: Sequence[int] | None) -> str:
    t = _names()
    hh = _ids(households) if households is not None else None
    members = f"SELECT mm.person_id FROM {t['membership']} mm WHERE mm.household_id IN ({hh}) AND {_on('mm', day)}"
    if name == "division":
        return f"SELECT id AS division_sk, code, level, parent_id AS parent_sk, name FROM {t['division']}"
    if name == "household":
        live = f"EXISTS (SELECT 1 FROM {t['membership']} m WHERE m.household_id = h.id AND {_on('m', day)})"
        only = f" AND h.id IN ({hh})" if hh else ""
        return (
            "SELECT h.id AS household_sk, h.ref, h.hukou_division_id AS hukou_division_sk, "
            "COALESCE(h.residence_division_id, h.hukou_division_id) AS residence_division_sk, "
            f"h.urban, h.head_id AS head_sk FROM {t['household']} h WHERE {live}{only}"
        )
    if name == "person":
        only = f" AND m.household_id IN ({hh})" if hh else ""
        return (
            "SELECT p.id AS person_sk, m.household_id AS household_sk, m.relationship, p.sex, "
            "p.birth_date, p.id_number, p.id_status, "
            "COALESCE(l.hukou_division_id, p.hukou_division_id) AS hukou_division_sk, "
            "COALESCE(l.residence_division_id, p.residence_division_id, l.hukou_division_id, "
            "p.hukou_division_id) AS residence_division_sk, l.urban, c.labour_capacity, "
            "c.disability_category, c.disability_grade, c.self_care_failed, c.health, c.schooling "
            f"FROM {t['person']} p "
            f"LEFT JOIN {t['membership']} m ON m.person_id = p.id AND {_on('m', day)} "
            f"LEFT JOIN {t['location']} l ON l.person_id = p.id AND {_on('l', day)} "
            f"LEFT JOIN {t['condition']} c ON c.person_id = p.id AND {_on('c', day)} "
            f"WHERE p.merged_into_id IS NULL AND (p.birth_date IS NULL OR p.birth_date <= '{day.isoformat()}'){only}"
        )
    if name == "income":
        only = f" AND i.person_id IN ({members})" if hh else ""
        return f"SELECT i.person_id AS person_sk, i.kind, i.monthly_fen FROM {t['income']} i WHERE {_on('i', day)}{only}"
    if name == "asset":
        only = f" AND a.household_id IN ({hh})" if hh else ""
        return (
            "SELECT a.household_id AS household_sk, a.person_id AS person_sk, a.kind, a.value_fen, "
            f"a.quantity FROM {t['asset']} a WHERE {_on('a', day)}{only}"
        )
    raise EngineError(f"no snapshot query for table {name!r}")


def conform_snapshot(name: str, table: pa.Table) -> pa.Table:
    """Cast a table read from the database to the catalog schema (SQLite has no types)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    spec = catalog.REGISTRY[name]
    arrays = []
    for col, typ in spec.columns.items():
        arr = table.column(col)
        target = catalog.arrow_type(typ)
        if typ == "boolean" and not pa.types.is_boolean(arr.type):
            arr = pc.not_equal(arr.cast(pa.int64()), 0)
        elif typ == "date" and pa.types.is_string(arr.type):
            arr = pc.cast(pc.utf8_slice_codeunits(arr, 0, 10), target)
        arrays.append(arr.cast(target))
    return pa.table(arrays, names=list(spec.columns))


class _ConnectionReader:
    """Reads through Django's connection, inside its transaction (or a new read-only one)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def read(self, queries: dict[str, str]) -> tuple[dict[str, pa.Table], dict[str, float]]:
        from django.db import transaction

        from minzheng.accounts import rls

        conn = self.connection
        with transaction.atomic(using=conn.alias):
            if conn.vendor == "postgresql" and not _nested(conn):
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rls.ensure_applied(conn.alias)  # before the raw COPY statements
            return _timed_reads(queries, self._one)

    def _one(self, name: str, sql: str) -> pa.Table:
        with self.connection.cursor() as cur:
            raw = cur.cursor
            if self.connection.vendor == "postgresql":
                return conform_snapshot(name, _copy_csv(raw, name, sql))
            raw.execute(sql)
            return conform_snapshot(name, _from_rows(name, raw.fetchall()))


def _nested(conn: Any) -> bool:
    """True when the atomic block just entered sits inside another (savepoint, not BEGIN)."""
    return len(conn.savepoint_ids) > 0 or not conn.commit_on_exit


def _timed_reads(
    queries: dict[str, str], read: Any
) -> tuple[dict[str, pa.Table], dict[str, float]]:
    out, timings = {}, {}
    for name, sql in queries.items():
        start = time.perf_counter()
        out[name] = read(name, sql)
        timings[name] = time.perf_counter() - start
    return out, timings


def _copy_csv(cursor: Any, name: str, sql: str) -> pa.Table:
    """``COPY (query) TO STDOUT`` as CSV, parsed by Arrow's multi-threaded CSV reader."""
    import io

    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buf.write(chunk)
    schema = catalog.REGISTRY[name].arrow_schema()
    if not buf.tell():  # no rows: Arrow's reader refuses an empty file
        return schema.empty_table()
    buf.seek(0)
    return pacsv.read_csv(
        buf,
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            strings_can_be_null=True,  # unquoted empty = NULL in PostgreSQL's CSV
            quoted_strings_can_be_null=False,  # "" = an empty string
            true_values=["t"],
            false_values=["f"],
        ),
    )


def _from_rows(name: str, rows: list[tuple]) -> pa.Table:
    """Cursor rows → Arrow (dates as ISO text and booleans as 0/1 until conform)."""
    import pyarrow as pa

    cols = catalog.REGISTRY[name].columns
    data: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
    arrays = []
    for typ, values in zip(cols.values(), data, strict=True):
        if typ == "date":
            arrays.append(pa.array([_plain(v) for v in values], pa.string()))
        elif typ == "boolean":
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.int64()))
        else:
            arrays.append(pa.array(values, pa.string() if typ == "text" else pa.int64()))
    return pa.table(arrays, names=list(cols))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class _AdbcReader:
    """A separate ADBC connection: COPY-binary on PostgreSQL, the C driver on SQLite."""

    def __init__(self, vendor: str, settings: dict[str, Any], scope: str | None = None) -> None:
        self.vendor, self.settings, self.scope = vendor, settings, scope

    def read(self, queries: dict[str, str]) -> tuple[dict[str, pa.Table], dict[str, float]]:
        from minzheng.accounts import rls

        conn = self._connect()
        try:
            cur = conn.cursor()
            if self.vendor == "postgresql":
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if self.scope is not None:
                    cur.execute(rls.set_config_sql(self.scope))
                cur.execute(rls.BLIND_SQL)
                if cur.fetchone()[0]:
                    raise EngineError(
                        "snapshot: row-level security would hide every row; set "
                        "BATCH_DATABASE_URL or read inside rls.acting(…) (ADR 005)"
                    )
            else:
                cur.execute("BEGIN")  # one read transaction: every table from the same state
            return _timed_reads(queries, lambda name, sql: self._one(cur, name, sql))
        finally:
            conn.rollback()
            conn.close()

    def _connect(self) -> Any:
        s = self.settings
        if self.vendor == "postgresql":
            import adbc_driver_postgresql.dbapi as pg

            auth = s.get("USER") or ""
            if s.get("PASSWORD"):
                from urllib.parse import quote

                auth += ":" + quote(str(s["PASSWORD"]), safe="")
            host = f"{s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"
            return pg.connect(f"postgresql://{auth}{'@' if auth else ''}{host}/{s['NAME']}")
        import adbc_driver_sqlite.dbapi as lite

        conn = lite.connect(str(s["NAME"]), autocommit=True)
        return conn

    def _one(self, cur: Any, name: str, sql: str) -> pa.Table:
        if self.vendor == "sqlite":
            # The SQLite driver types each column from its first rows; a typed sentinel row
            # first keeps a NULL-led column from being typed wrongly (then it is dropped).
            sql = f"SELECT * FROM ({_sentinel(name)}) UNION ALL SELECT * FROM ({sql})"
        cur.execute(sql)
        table = cur.fetch_arrow_table()
        if self.vendor == "sqlite":
            table = table.slice(1)
        return conform_snapshot(name, table)


def _sentinel(name: str) -> str:
    values = {"integer": "0", "text": "''", "date": "'1970-01-01'", "boolean": "0", "money": "0"}
    cols = catalog.REGISTRY[name].columns
    return "SELECT " + ", ".join(f"{values[t]} AS {c}" for c, t in cols.items())

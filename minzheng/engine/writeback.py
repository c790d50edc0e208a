"""Write results back to the database in bulk and idempotently (a re-run replaces its rows).

The table ``engine_result`` is the :class:`minzheng.engine.models.EngineResult` model's.
One transaction deletes the run's previous rows by ``run_key`` and inserts the new ones:
COPY on PostgreSQL, ``executemany`` on SQLite.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.engine.api import Result

TABLE = "engine_result"
COLUMNS = (
    "run_key",
    "ruleset",
    "version",
    "subject",
    "subject_id",
    "division_id",
    "as_of",
    "flag",
    "amount_fen",
    "severity",
    "explanation",
)


def results_table(result: Result, *, only_flagged: bool = False) -> pa.Table:
    """The rows :func:`results_write` stores, as Arrow (also what a Parquet export holds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rs, table = result.ruleset, result.table
    docs = result.explanations()
    n = table.num_rows
    has_flag = "flag" in table.column_names
    cols = {
        "run_key": pa.array([result.run_key] * n, pa.string()),
        "ruleset": pa.array([rs.name] * n, pa.string()),
        "version": pa.array([rs.version] * n, pa.string()),
        "subject": pa.array([rs.subject] * n, pa.string()),
        "subject_id": table.column("subject_sk"),
        "division_id": table.column("division_sk"),
        "as_of": pa.array([result.as_of] * n, pa.date32()),
        "flag": table.column("flag") if has_flag else pa.nulls(n, pa.bool_()),
        "amount_fen": table.column("amount_fen") if has_flag else pa.nulls(n, pa.int64()),
        "severity": table.column("severity") if has_flag else pa.nulls(n, pa.string()),
        "explanation": docs,
    }
    out = pa.table(cols)
    if only_flagged and has_flag:
        out = out.filter(pc.fill_null(out.column("flag"), False))
    return out


def results_write(result: Result, *, only_flagged: bool = False, using: str = "default") -> int:
    """Replace the rows of ``result.run_key`` in ``engine_result``; returns rows written."""
    from django.db import connections, transaction

    rows = results_table(result, only_flagged=only_flagged)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE run_key = %s", [result.run_key])
        if connection.vendor == "postgresql":
            _copy(cur.cursor, rows)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"
            for batch in rows.to_batches(max_chunksize=50_000):
                cur.executemany(
                    sql, list(zip(*(c.to_pylist() for c in batch.columns), strict=True))
                )
    return rows.num_rows


def _copy(cursor: Any, rows: pa.Table) -> None:
    """COPY … FROM STDIN as CSV written by Arrow (every value quoted, NULL left empty)."""
    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(rows, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    with cursor.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())

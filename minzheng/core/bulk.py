"""Bulk writes without the ORM's per-row SQL compilation.

``Model.objects.bulk_create`` compiles every value of every row through the query
compiler; for imports of 100,000 rows that costs more than the database. These helpers
convert values once per field kind and hand the rows to ``executemany`` (SQLite) or
``COPY`` (PostgreSQL). They write exactly the model's columns and fill ``auto_now``
timestamps, but run no ``save()``, signals or validation: callers have validated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone


def insert_rows(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``names`` order, database-ready) into ``model``'s table."""
    if not rows:
        return
    table = model._meta.db_table
    cols = [cast(models.Field, model._meta.get_field(n)).column for n in names]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            from minzheng.accounts.rls import copy_rows

            copy_rows(cur, table, cols, rows)  # psycopg 3: COPY is ~10× executemany
        else:
            marks = ", ".join(["%s"] * len(cols))
            cur.executemany(f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({marks})', rows)


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``; call inside the transaction that inserts them.

    PostgreSQL draws them from the table's sequence. On SQLite the write transaction
    (``BEGIN IMMEDIATE``) already excludes every other writer, so max + 1 … is safe.
    """
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) "
                "FROM generate_series(1, %s)",
                [n],
            )
            return [r[0] for r in cur.fetchall()]
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        start = int(cur.fetchone()[0]) + 1
    return list(range(start, start + n))


def _converter(field: models.Field) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    ops = connection.ops
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind in ("UUIDField", "JSONField", "DecimalField", "GenericIPAddressField"):

        def prep(v: Any) -> Any:
            return field.get_db_prep_save(v, connection)

        return prep
    return _same


def _same(v: Any) -> Any:
    return v


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[models.Field]:
    """The concrete fields named in ``fields`` (by name or attname, e.g. ``head_id``)."""
    wanted = set(fields)
    return [f for f in model._meta.concrete_fields if f.name in wanted or f.attname in wanted]


def fast_insert(
    model: type[models.Model], objs: Sequence[models.Model], *, with_ids: bool = False
) -> None:
    """Insert ``objs``; with ``with_ids`` their primary keys are allocated first and set."""
    if not objs:
        return
    if with_ids:
        for obj, pk in zip(objs, allocate_ids(model, len(objs)), strict=True):
            obj.pk = pk
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    now = timezone.now()
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    convert = [_converter(f) for f in fields]
    rows = []
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
        rows.append(tuple(c(getattr(obj, f.attname)) for c, f in zip(convert, fields, strict=True)))
    insert_rows(model, [f.name for f in fields], rows)


def fast_update(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """``UPDATE … SET fields WHERE id = …`` for every object, in one ``executemany``."""
    if not objs:
        return
    cols = _columns(model, fields)
    if any(getattr(f, "auto_now", False) for f in model._meta.concrete_fields):
        cols += [
            f
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) and f not in cols
        ]
        now = timezone.now()
        for obj in objs:
            for f in model._meta.concrete_fields:
                if getattr(f, "auto_now", False):
                    setattr(obj, f.attname, now)
    convert = [_converter(f) for f in cols]
    sets = ", ".join(f'"{f.column}" = %s' for f in cols)
    rows = [
        (*[c(getattr(o, f.attname)) for c, f in zip(convert, cols, strict=True)], o.pk)
        for o in objs
    ]
    with connection.cursor() as cur:
        cur.executemany(f'UPDATE "{model._meta.db_table}" SET {sets} WHERE id = %s', rows)

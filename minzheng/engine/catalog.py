"""The tables the engine reads: names, columns, Arrow types and rule-language types.

This is the contract between :mod:`~minzheng.engine.snapshot` (which writes these
tables from the database), the compiler (which reads them) and the fixture harness
(which fills in defaults). Keys end in ``_sk`` (integer surrogate keys) and are not
visible in the rule language; neither are identifying columns (``id_number``, ``ref``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Rule-language types → SQL (DuckDB) type used when casting outputs.
SQL_TYPES = {
    "integer": "BIGINT",
    "money": "BIGINT",
    "boolean": "BOOLEAN",
    "text": "VARCHAR",
    "date": "DATE",
}


@dataclass(frozen=True)
class Table:
    """One input table: its columns as (name → language type), keys and visibility."""

    name: str
    columns: dict[str, str]
    keys: tuple[str, ...] = ()  # join keys: person_sk, household_sk, id_number …
    hidden: tuple[str, ...] = ()  # columns never visible to rules
    date: str | None = None  # event date, for windows (feeds)
    defaults: dict[str, Any] = field(default_factory=dict)

    def visible(self) -> dict[str, str]:
        """Columns a rule may name."""
        return {
            c: t for c, t in self.columns.items() if c not in self.hidden and not c.endswith("_sk")
        }

    def arrow_schema(self) -> Any:
        import pyarrow as pa

        return pa.schema([(c, arrow_type(t)) for c, t in self.columns.items()])


def arrow_type(lang: str) -> Any:
    """The Arrow type that stores a rule-language type (money is int64 fen)."""
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "money": pa.int64(),
        "boolean": pa.bool_(),
        "text": pa.string(),
        "date": pa.date32(),
    }[lang]


DIVISION = Table(
    "division",
    {
        "division_sk": "integer",
        "code": "text",
        "level": "integer",
        "parent_sk": "integer",
        "name": "text",
    },
    keys=("division_sk",),
)
HOUSEHOLD = Table(
    "household",
    {
        "household_sk": "integer",
        "ref": "text",
        "hukou_division_sk": "integer",
        "residence_division_sk": "integer",
        "urban": "boolean",
        "head_sk": "integer",
    },
    keys=("household_sk",),
    hidden=("ref",),
    defaults={"urban": True},
)
PERSON = Table(
    "person",
    {
        "person_sk": "integer",
        "household_sk": "integer",
        "relationship": "text",
        "sex": "text",
        "birth_date": "date",
        "id_number": "text",
        "id_status": "text",
        "hukou_division_sk": "integer",
        "residence_division_sk": "integer",
        "urban": "boolean",
        "labour_capacity": "text",
        "disability_category": "text",
        "disability_grade": "text",
        "self_care_failed": "integer",
        "health": "text",
        "schooling": "text",
    },
    keys=("person_sk", "household_sk", "id_number"),
    hidden=("id_number",),
    defaults={
        "relationship": "02",
        "sex": "1",
        "birth_date": dt.date(1980, 1, 1),
        "id_status": "valid",
        "urban": True,
        "labour_capacity": "full",
        "disability_category": "",
        "disability_grade": "",
        "self_care_failed": 0,
        "health": "healthy",
        "schooling": "",
    },
)
INCOME = Table(
    "income",
    {"person_sk": "integer", "kind": "text", "monthly_fen": "money"},
    keys=("person_sk",),
    defaults={"kind": "wage"},
)
ASSET = Table(
    "asset",
    {
        "household_sk": "integer",
        "person_sk": "integer",
        "kind": "text",
        "value_fen": "money",
        "quantity": "integer",
    },
    keys=("household_sk", "person_sk"),
    defaults={"quantity": 1, "value_fen": 0},
)
PARAMETER = Table(
    "parameter",
    {
        "name": "text",
        "division_prefix": "text",
        "valid_from": "date",
        "valid_to": "date",
        "value": "integer",
    },
)

REGISTRY = {t.name: t for t in (DIVISION, HOUSEHOLD, PERSON, INCOME, ASSET)}
ENTITIES = ("person", "household")
# Built-in derived person columns: name → type (computed by the compiler, not stored).
DERIVED = {"person": {"age": "integer"}, "household": {}}

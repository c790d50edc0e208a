"""SQL dialects: the compiler writes DuckDB; sqlglot transpiles for the other backends."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

SOURCE = "duckdb"


@dataclass(frozen=True)
class Dialect:
    """A backend's SQL flavour: its sqlglot name and how it spells a few things."""

    name: str
    sqlglot: str

    def translate(self, sql: str, rename: tuple[tuple[str, str], ...] = ()) -> str:
        """``sql`` (DuckDB) in this dialect, with tables renamed per ``rename`` pairs."""
        if self.sqlglot == SOURCE and not rename:
            return sql
        return _translate(sql, self.sqlglot, rename)


@lru_cache(maxsize=512)
def _translate(sql: str, target: str, rename: tuple[tuple[str, str], ...]) -> str:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read=SOURCE)
    names = dict(rename)
    if names:
        for table in tree.find_all(exp.Table):
            if not table.db and table.name in names:
                table.set("this", exp.to_identifier(names[table.name]))
    return tree.sql(dialect=target, pretty=False)


DUCKDB = Dialect("duckdb", "duckdb")
SPARK = Dialect("spark", "spark")
POSTGRES = Dialect("postgres", "postgres")
SQLITE = Dialect("sqlite", "sqlite")

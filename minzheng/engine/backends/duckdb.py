"""DuckDB backend (the default): in-process, Arrow in and out without copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minzheng.engine.backends.base import Progress, Runner
from minzheng.engine.dialects import DUCKDB


class DuckDBRunner(Runner):
    """Runs pipelines on one DuckDB connection (its own, or one given)."""

    dialect = DUCKDB
    name = "duckdb"

    def __init__(
        self,
        *,
        connection: Any = None,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        import duckdb

        super().__init__(progress=progress)
        self.owns = connection is None
        self.con = connection if connection is not None else duckdb.connect()
        # A memory cap spills joins and aggregates to disk instead of failing the pass.
        for setting, value in (
            ("memory_limit", memory_limit),
            ("threads", threads),
            ("temp_directory", temp_directory),
        ):
            if value is not None:
                self.con.execute(f"SET {setting} = '{value}'")

    def _register_arrow(self, name: str, table: Any) -> None:
        self.con.register(name, table)

    def _register_parquet(self, name: str, path: Path) -> None:
        self.con.read_parquet(str(path)).create_view(name, replace=True)

    def _create_table(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def _fetch(self, sql: str) -> Any:
        return self.con.sql(sql).to_arrow_table()

    def _drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        super().close()
        if self.owns:
            self.con.close()

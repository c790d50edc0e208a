"""Backends: one :class:`Runner` owns execution; DuckDB and Spark implement its hooks."""

from __future__ import annotations

from typing import Any

from minzheng.engine.backends.base import Runner

BACKENDS = ("duckdb", "spark")


def runner_for(backend: str = "duckdb", **options: Any) -> Runner:
    """A runner for ``backend``; Spark is imported only when asked for."""
    if backend == "duckdb":
        from minzheng.engine.backends.duckdb import DuckDBRunner

        return DuckDBRunner(**options)
    if backend == "spark":
        from minzheng.engine.backends.spark import SparkRunner

        return SparkRunner(**options)
    raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")


__all__ = ["BACKENDS", "Runner", "runner_for"]

"""Spark backend (optional extra ``minzheng[spark]``): the same steps, transpiled by sqlglot.

Imported only when a Spark runner is asked for; ``import minzheng`` never loads PySpark.
Local sessions bind to loopback only (government servers must not open ports).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from minzheng.engine.backends.base import Progress, Runner
from minzheng.engine.dialects import SPARK


def available() -> str:
    """Empty when Spark can run here, else the reason it cannot."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (install the 'spark' extra)"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "java is not installed (Spark needs Java 17)"
    return ""


def local_session(
    *, cores: int = 2, memory: str = "2g", shuffle_partitions: int | None = None
) -> Any:
    """A local-mode SparkSession on 127.0.0.1 with the UI off (created once per process)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("minzheng-engine")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkRunner(Runner):
    """Runs pipelines on a SparkSession (a local one unless given)."""

    dialect = SPARK
    name = "spark"

    def __init__(
        self, *, spark: Any = None, progress: Progress | None = None, **session: Any
    ) -> None:
        super().__init__(progress=progress)
        self.spark = spark if spark is not None else local_session(**session)
        self._cached: dict[str, Any] = {}

    def _register_arrow(self, name: str, table: Any) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def _register_parquet(self, name: str, path: Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def _create_table(self, name: str, sql: str) -> None:
        frame = self.spark.sql(sql).cache()
        frame.count()  # materialise now, so the step's time and errors are its own
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame

    def _fetch(self, sql: str) -> Any:
        return self.spark.sql(sql).toArrow()

    def _drop(self, name: str) -> None:
        frame = self._cached.pop(name, None)
        if frame is not None:
            frame.unpersist()
        self.spark.catalog.dropTempView(name)

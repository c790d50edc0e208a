"""The runner: one class owns execution, table naming, caching, progress and errors.

A backend implements five small hooks (register Arrow, register Parquet, create a
table from a query, fetch a query as Arrow, drop a table); everything else — which
steps to materialise, what to call them, when a cached table is still good, how
errors are reported and how results are typed — lives here, once.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog
from minzheng.engine.dialects import Dialect
from minzheng.engine.errors import EngineError
from minzheng.engine.pipeline import Pipeline

if TYPE_CHECKING:
    import pyarrow as pa

Progress = Callable[[str, float], None]


class Runner(ABC):
    """Runs compiled pipelines on one backend session."""

    dialect: Dialect
    name = "?"

    def __init__(self, *, progress: Progress | None = None) -> None:
        self.progress: Progress = progress or (lambda step, seconds: None)
        self._generation: dict[str, int] = {}  # input → registration count (cache key)
        self._made: dict[str, str] = {}  # step name → physical table currently holding it
        self._serial = 0

    # --- hooks -----------------------------------------------------------------
    @abstractmethod
    def _register_arrow(self, name: str, table: Any) -> None: ...

    @abstractmethod
    def _register_parquet(self, name: str, path: Path) -> None: ...

    @abstractmethod
    def _create_table(self, name: str, sql: str) -> None: ...

    @abstractmethod
    def _fetch(self, sql: str) -> pa.Table: ...

    @abstractmethod
    def _drop(self, name: str) -> None: ...

    def close(self) -> None:
        """Release the backend session (if the runner owns it); caches are forgotten."""
        self._made.clear()

    # --- public ----------------------------------------------------------------
    def register(self, name: str, data: Any) -> None:
        """Make ``data`` (an Arrow table or a Parquet path) readable as table ``name``."""
        self._serial += 1
        if isinstance(data, str | Path):
            self._register_parquet(name, Path(data))
        else:
            self._register_arrow(name, data)
        self._generation[name] = self._serial

    def run(
        self, pipeline: Pipeline, inputs: Mapping[str, Any] | None = None
    ) -> dict[str, pa.Table]:
        """Register ``inputs``, build the materialised steps, fetch every output."""
        for name, data in (inputs or {}).items():
            self.register(name, data)
        rename = self.prepare(pipeline)
        return {name: self.fetch(pipeline, name, rename) for name in pipeline.outputs}

    def prepare(self, pipeline: Pipeline) -> tuple[tuple[str, str], ...]:
        """Create (or reuse) the materialised steps; returns the step → table renames."""
        missing = sorted(pipeline.inputs - set(self._generation))
        if missing:
            raise EngineError(f"missing input table(s): {', '.join(missing)}")
        rename: dict[str, str] = {}
        for step in pipeline.materialised():
            sql = pipeline.query(step.name)
            reads = sorted(_reads(pipeline, step.name))
            key = "|".join([sql, *(f"{r}={self._generation.get(r, rename.get(r))}" for r in reads)])
            physical = f"mz_{step.name}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"
            if self._made.get(step.name) != physical:
                text = self.dialect.translate(sql, tuple(sorted(rename.items())))
                self._create(step.name, physical, text)
                old = self._made.get(step.name)
                if old:
                    self._drop(old)
                self._made[step.name] = physical
            rename[step.name] = physical
        return tuple(sorted(rename.items()))

    def _create(self, step: str, physical: str, sql: str) -> None:
        self._timed(step, sql, lambda: self._create_table(physical, sql))

    def sql(self, pipeline: Pipeline, name: str, rename: tuple[tuple[str, str], ...] = ()) -> str:
        """The statement this backend runs for output ``name``."""
        step = pipeline.steps[name]
        base = f"SELECT * FROM {name}" if step.materialise else pipeline.query(name)
        return self.dialect.translate(base, rename)

    def fetch(self, pipeline: Pipeline, name: str, rename: tuple[tuple[str, str], ...]) -> pa.Table:
        """Run output ``name`` and return it typed as the pipeline declares."""
        text = self.sql(pipeline, name, rename)
        table = self._timed(name, text, lambda: self._fetch(text))
        return conform(table, pipeline.outputs[name], step=name)

    def _timed(self, step: str, sql: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            out = fn()
        except EngineError:
            raise
        except Exception as err:  # backend errors differ; report them with the step and SQL
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise EngineError(f"{type(err).__name__}: {first}", step=step, sql=sql) from err
        self.progress(step, time.perf_counter() - start)
        return out


def _reads(pipeline: Pipeline, name: str) -> set[str]:
    """Inputs and materialised steps that step ``name`` reads, through its CTEs."""
    found: set[str] = set()
    for dep in pipeline.steps[name].deps:
        step = pipeline.steps.get(dep)
        if step is None or step.materialise:
            found.add(dep)
        else:
            found |= _reads(pipeline, dep)
    return found


def conform(table: pa.Table, columns: list[tuple[str, str]], *, step: str = "") -> pa.Table:
    """``table`` with exactly ``columns`` (name, language type), in order and Arrow-typed."""
    import pyarrow as pa

    names = table.column_names
    missing = [c for c, _ in columns if c not in names]
    if missing:
        raise EngineError(f"result lacks column(s) {', '.join(missing)}", step=step)
    arrays = [table.column(c).cast(catalog.arrow_type(t)) for c, t in columns]
    return pa.table(arrays, names=[c for c, _ in columns])

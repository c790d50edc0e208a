"""The engine's front door: compile a rule set, run it on a backend, return typed results."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog
from minzheng.engine.compiler import compile_ruleset
from minzheng.engine.errors import EngineError, ParameterGapError
from minzheng.engine.indicators import add_indicators
from minzheng.engine.rules.schema import Ruleset

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.engine.backends.base import Runner

FIXED = ("subject_sk", "division_sk", "flag", "amount_fen", "severity")


@dataclass
class Result:
    """One evaluation of a rule set on a date: a row per subject, plus indicator tables."""

    ruleset: Ruleset
    as_of: dt.date
    table: pa.Table
    backend: str
    seconds: float
    indicators: dict[str, pa.Table] = field(default_factory=dict)
    scope: str = ""  # e.g. a province code when only part of the registry was evaluated

    @property
    def run_key(self) -> str:
        """What identifies this run: re-running it replaces its rows, never adds to them."""
        key = f"{self.ruleset.key}:{self.as_of.isoformat()}"
        return f"{key}:{self.scope}" if self.scope else key

    def values(self) -> list[str]:
        """Result columns that are quoted values (facts, parameters), not outputs or conditions."""
        skip = set(FIXED) | set(self.ruleset.conditions)
        return [c for c in self.table.column_names if c not in skip]

    def explanations(self) -> pa.Array:
        """A JSON document per row: outputs, conditions with their sentences, values."""
        from minzheng.engine.explain import json_column

        return json_column(self.table, self.ruleset, self.values())

    def flagged(self) -> pa.Table:
        import pyarrow.compute as pc

        return self.table.filter(pc.fill_null(self.table.column("flag"), False))

    def to_parquet(self, directory: Path | str) -> Path:
        """Write ``result.parquet`` (and one file per indicator) under ``directory``."""
        import pyarrow.parquet as pq

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.table, out / "result.parquet")
        for name, table in self.indicators.items():
            pq.write_table(table, out / f"{name}.parquet")
        return out / "result.parquet"


def run(
    ruleset: Ruleset,
    inputs: Mapping[str, Any],
    *,
    as_of: dt.date,
    backend: str = "duckdb",
    runner: Runner | None = None,
    keep: Iterable[str] = (),
    indicators: bool = True,
    check_parameters: bool = True,
    scope: str = "",
    flagged_only: bool = False,
) -> Result:
    """Evaluate ``ruleset`` over ``inputs`` (name → Arrow table or Parquet path) on ``as_of``.

    ``flagged_only``: the result holds only the flagged subjects (no indicators then)."""
    from minzheng.engine.backends import runner_for

    if flagged_only and indicators:
        raise EngineError(
            "flagged_only leaves out the subjects indicators count; pass indicators=False"
        )
    pipeline = compile_ruleset(ruleset, as_of, keep=keep, flagged_only=flagged_only)
    if indicators:
        add_indicators(pipeline, ruleset, as_of)
    own = runner is None
    active = runner if runner is not None else runner_for(backend)
    start = time.perf_counter()
    try:
        tables = active.run(
            pipeline,
            {n: conform_input(n, d, ruleset) for n, d in inputs.items() if n in pipeline.inputs},
        )
    finally:
        if own:
            active.close()
    out = Result(
        ruleset, as_of, tables.pop("result"), active.name, time.perf_counter() - start, scope=scope
    )
    out.indicators = {n.removeprefix("indicator_"): t for n, t in tables.items()}
    if check_parameters:
        parameter_gaps(out, inputs.get("division"))
    return out


def conform_input(name: str, data: Any, rs: Ruleset) -> Any:
    """An Arrow input with the engine's column names and types (Parquet paths pass through)."""
    import pyarrow as pa

    if not isinstance(data, pa.Table):
        return data
    if name in rs.inputs:
        spec = rs.inputs[name]
        columns = {spec.key: "text" if spec.key == "id_number" else "integer", **spec.columns}
    elif name in catalog.REGISTRY or name == "parameter":
        columns = (catalog.REGISTRY.get(name) or catalog.PARAMETER).columns
    else:
        return data
    missing = [c for c in columns if c not in data.column_names]
    if missing:
        raise EngineError(f"input {name!r} lacks column(s): {', '.join(missing)}")
    return pa.table(
        [data.column(c).cast(catalog.arrow_type(t)) for c, t in columns.items()],
        names=list(columns),
    )


def parameter_gaps(result: Result, division: Any = None) -> None:
    """Raise if a parameter had no value valid on the date for some subject's division."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = result.table
    for name in result.ruleset.parameters:
        if name not in table.column_names or table.column(name).null_count == 0:
            continue
        gaps = table.filter(pc.is_null(table.column(name)))
        sks = [s for s in gaps.column("division_sk").unique().to_pylist()[:3]]
        codes = sks
        if isinstance(division, pa.Table):
            lookup = dict(
                zip(
                    division.column("division_sk").to_pylist(),
                    division.column("code").to_pylist(),
                    strict=True,
                )
            )
            codes = [lookup.get(s, f"#{s}") if s is not None else "no division" for s in sks]
        raise ParameterGapError(
            f"missing parameter: {name!r} has no value valid on {result.as_of} for "
            f"{gaps.num_rows} subject(s), e.g. division {', '.join(map(str, codes))}"
        )

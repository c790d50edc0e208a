"""Eligibility over the whole registry: the programme rule sets run as one batch each.

The same definitions the calculator evaluates one household at a time
(:mod:`minzheng.assistance.assess`) run here over a snapshot (Arrow tables or Parquet
files), so an online check and the batch cannot disagree. Inputs the registry does not
hold yet (declarations made on an application, yearly expenses) are empty tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from minzheng.assistance.assess import PROGRAMMES, rulesets

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.engine.api import Result
    from minzheng.engine.rules.schema import Ruleset


def empty_inputs(rs: Ruleset) -> dict[str, pa.Table]:
    """An empty table for every declared input of ``rs`` (key column plus its columns)."""
    import pyarrow as pa

    from minzheng.engine import catalog

    out = {}
    for name, spec in rs.inputs.items():
        cols = {spec.key: "text" if spec.key == "id_number" else "integer", **spec.columns}
        out[name] = pa.schema([(c, catalog.arrow_type(t)) for c, t in cols.items()]).empty_table()
    return out


def eligibility_batch(
    tables: Mapping[str, Any],
    *,
    as_of: dt.date,
    parameter: pa.Table,
    programmes: Iterable[str] = PROGRAMMES,
    backend: str = "duckdb",
    runner: Any = None,
    indicators: bool = True,
) -> dict[str, Result]:
    """Run each programme over ``tables`` (registry snapshot: name → Arrow or Parquet path)."""
    from minzheng.engine import run

    out = {}
    for name in programmes:
        rs = rulesets()[name]
        given = {**empty_inputs(rs), **tables, "parameter": parameter}
        out[name] = run(
            rs, given, as_of=as_of, backend=backend, runner=runner, indicators=indicators
        )
    return out

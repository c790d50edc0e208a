"""Indicators: aggregates over a rule set's result, by dimensions, rolled up over divisions.

Each indicator becomes one step over the (materialised) ``result`` joined to the
division table; ``GROUP BY dims, ROLLUP(province, prefecture, county, township)``
gives every level in one pass. ``level`` is 0 (nation) … 4 (township) and
``division_code`` the code prefix of that level ("" for the nation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from minzheng.engine.compiler import expr_sql, q
from minzheng.engine.pipeline import Pipeline, Step
from minzheng.engine.rules import semantics
from minzheng.engine.rules.schema import Indicator, Ruleset

LEVELS = ((1, 2), (2, 4), (3, 6), (4, 9))  # level, code digits


def add_indicators(p: Pipeline, rs: Ruleset, as_of: dt.date) -> list[str]:
    """Append one step per indicator of ``rs`` to ``p``; returns the output names."""
    if not rs.indicators:
        return []
    p.steps["result"] = dataclasses.replace(p.steps["result"], materialise=True)
    p.inputs.add("division")
    levels = ", ".join(f"SUBSTR(COALESCE(d.code, ''), 1, {n}) AS mz_l{lv}" for lv, n in LEVELS)
    p.add(
        Step(
            "indicator_base",
            f"SELECT r.*, {levels}\nFROM result AS r\nLEFT JOIN division AS d ON d.division_sk = r.division_sk",
            ("result", "division"),
        )
    )
    names = []
    for ind in rs.indicators.values():
        name = f"indicator_{ind.name}"
        p.add(Step(name, _sql(ind, as_of), ("indicator_base",)))
        p.outputs[name] = _columns(rs, ind)
        names.append(name)
    return names


def _sql(ind: Indicator, as_of: dt.date) -> str:
    conds = [
        f"({expr_sql(e, as_of)})"
        for e in (ind.value if ind.measure == "count" else None, ind.where)
        if e
    ]
    filt = f" FILTER (WHERE {' AND '.join(conds)})" if conds else ""
    if ind.measure == "count":
        value = f"COUNT(*){filt}"
    else:
        value = f"COALESCE(CAST(SUM({expr_sql(ind.value, as_of)}){filt} AS BIGINT), 0)"  # type: ignore[arg-type]
    dims = [q(d) for d in ind.by]
    if ind.rollup:
        rolled = ", ".join(f"mz_l{lv}" for lv, _ in LEVELS)
        level = " ".join(f"WHEN GROUPING(mz_l{lv}) = 0 THEN {lv}" for lv, _ in reversed(LEVELS))
        code = ", ".join(f"mz_l{lv}" for lv, _ in reversed(LEVELS))
        cols = [
            f"CAST(CASE {level} ELSE 0 END AS BIGINT) AS level",
            f"COALESCE({code}, '') AS division_code",
        ]
        group = f"\nGROUP BY {', '.join([*dims, f'ROLLUP ({rolled})'])}"
    else:
        cols = ["CAST(0 AS BIGINT) AS level", "'' AS division_code"]
        group = f"\nGROUP BY {', '.join(dims)}" if dims else ""
    cols += [*dims, f"{value} AS value"]
    return f"SELECT {', '.join(cols)}\nFROM indicator_base{group}"


def _columns(rs: Ruleset, ind: Indicator) -> list[tuple[str, str]]:
    scope = semantics.indicator_scope(rs)
    value_type = "integer" if ind.measure == "count" else ind.value.type  # type: ignore[union-attr]
    return [
        ("level", "integer"),
        ("division_code", "text"),
        *((d, scope[d].type) for d in ind.by),
        ("value", value_type),
    ]

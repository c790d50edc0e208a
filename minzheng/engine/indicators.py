"""Indicators: aggregates over a rule set's result, by dimensions, rolled up over divisions.

Each indicator becomes one step over the (materialised) ``result`` joined to the
division table; ``GROUP BY dims, ROLLUP(province, prefecture, county, township)``
gives every level in one pass. ``level`` is 0 (nation) … 4 (township) and
``division_code`` the code prefix of that level ("" for the nation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from minzheng.engine.compiler import expr_sql, literal, q
from minzheng.engine.pipeline import Pipeline, Step
from minzheng.engine.rules import semantics
from minzheng.engine.rules.schema import Indicator, Ruleset

LEVELS = ((1, 2), (2, 4), (3, 6), (4, 9))  # level, code digits


def add_indicators(p: Pipeline, rs: Ruleset, as_of: dt.date) -> list[str]:
    """Append the steps of every indicator of ``rs`` to ``p``; returns the output names.

    Indicators with the same dimensions share one grouping (one scan of the subjects,
    a column per indicator) that each indicator's output then reads."""
    if not rs.indicators:
        return []
    _add_base(p)
    groups: dict[tuple[tuple[str, ...], bool], list[Indicator]] = {}
    for ind in rs.indicators.values():
        groups.setdefault((tuple(ind.by), ind.rollup), []).append(ind)
    names = []
    for number, inds in enumerate(groups.values()):
        if len(inds) == 1:
            ind = inds[0]
            name = f"indicator_{ind.name}"
            p.add(Step(name, _sql([ind], as_of), ("indicator_base",)))
        else:
            shared = f"indicator_group_{number}"
            p.add(Step(shared, _sql(inds, as_of), ("indicator_base",), materialise=True))
        for ind in inds:
            name = f"indicator_{ind.name}"
            if len(inds) > 1:
                cols = ", ".join(["level", "division_code", *(q(d) for d in ind.by)])
                p.add(
                    Step(
                        name,
                        f"SELECT {cols}, {q('v_' + ind.name)} AS value FROM {shared}",
                        (shared,),
                    )
                )
            p.outputs[name] = _columns(rs, ind)
            names.append(name)
    return names


def add_members(
    p: Pipeline,
    rs: Ruleset,
    name: str,
    as_of: dt.date,
    *,
    level: int,
    division_code: str,
    dims: dict[str, object],
) -> str:
    """Append ``members``: the subjects behind one figure of indicator ``name`` — those of
    the division (code prefix at ``level``; 0 = nation) with the given dimension values
    that the indicator counts, each with its weight (1 for a count, its value for a sum;
    a sum leaves out subjects that add nothing). The weights add up to the figure."""
    ind = rs.indicators[name]
    _add_base(p)
    conds = [
        f"({expr_sql(e, as_of)})"
        for e in (ind.value if ind.measure == "count" else None, ind.where)
        if e
    ]
    if level:
        digits = dict(LEVELS)[level]
        conds.append(f"mz_l{level} = {literal(division_code[:digits])}")
    for dim, value in sorted(dims.items()):
        if dim not in ind.by:
            raise ValueError(f"indicator {name!r} has no dimension {dim!r}")
        conds.append(f"{q(dim)} IS NULL" if value is None else f"{q(dim)} = {literal(value)}")
    if ind.measure == "count":
        weight = "CAST(1 AS BIGINT)"
    else:
        weight = f"CAST(COALESCE({expr_sql(ind.value, as_of)}, 0) AS BIGINT)"  # type: ignore[arg-type]
        conds.append(f"COALESCE({expr_sql(ind.value, as_of)}, 0) <> 0")  # type: ignore[arg-type]
    where = " AND ".join(conds) or "TRUE"
    p.add(
        Step(
            "members",
            f"SELECT subject_sk, {weight} AS weight\nFROM indicator_base\nWHERE {where}",
            ("indicator_base",),
        )
    )
    p.outputs["members"] = [("subject_sk", "integer"), ("weight", "integer")]
    return "members"


def _add_base(p: Pipeline) -> None:
    """The result joined to the division codes of every level (once per pipeline)."""
    if "indicator_base" in p.steps:
        return
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


def _value_sql(ind: Indicator, as_of: dt.date) -> str:
    conds = [
        f"({expr_sql(e, as_of)})"
        for e in (ind.value if ind.measure == "count" else None, ind.where)
        if e
    ]
    filt = f" FILTER (WHERE {' AND '.join(conds)})" if conds else ""
    if ind.measure == "count":
        return f"COUNT(*){filt}"
    return f"COALESCE(CAST(SUM({expr_sql(ind.value, as_of)}){filt} AS BIGINT), 0)"  # type: ignore[arg-type]


def _sql(inds: list[Indicator], as_of: dt.date) -> str:
    """One grouping for indicators of the same dimensions: ``value`` for one indicator,
    ``v_<name>`` columns for several."""
    first = inds[0]
    dims = [q(d) for d in first.by]
    if first.rollup:
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
    if len(inds) == 1:
        values = [f"{_value_sql(first, as_of)} AS value"]
    else:
        values = [f"{_value_sql(i, as_of)} AS {q('v_' + i.name)}" for i in inds]
    cols += [*dims, *values]
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

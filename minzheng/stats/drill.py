"""The people behind a figure: the subjects a snapshot cell counts, for the drill-down list.

A figure is ``indicator × level × division_code × dims`` of one snapshot. Its members are
found by the same rule set the snapshot ran, on the same registry date, restricted to the
households of that division, with one extra step (``engine.indicators.add_members``) that
keeps the subjects the indicator counts — so the list is the figure's own definition, not
a second query written by hand, and its weights add up to the figure (a count's members
weigh 1 each; a sum's weigh what they add, e.g. the persons a dibao household covers).

Only computed stock and flow indicators have members; a ratio's are its parts', and an
entered figure has no individual data behind it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from minzheng.stats.catalogue import IndicatorDef, catalogue, rule_files
from minzheng.stats.compute import PREFIX
from minzheng.stats.models import Snapshot


class DrillError(ValueError):
    """The figure has no list of people behind it, or is out of the actor's reach."""


@dataclass(frozen=True)
class Part:
    """One engine indicator behind a catalogue figure, with its dimension values fixed."""

    ruleset: str
    indicator: str
    dims: dict[str, Any]
    label: str = ""  # the value of a spread dimension (e.g. layer "dibao"), else ""


@dataclass
class Members:
    """The subjects behind one figure: (subject id, weight, part label) rows."""

    subject: str  # "person" or "household"
    rows: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(w for _, w, _ in self.rows)

    @property
    def ids(self) -> list[int]:
        return [sk for sk, _, _ in self.rows]


def drillable(ind: IndicatorDef) -> bool:
    """Has a list of people behind it (a computed stock or flow)."""
    return ind.source is not None and ind.additive


def parts(ind: IndicatorDef, dims: dict[str, Any] | None) -> list[Part]:
    """The engine indicators and dimension values behind ``ind``'s figure with ``dims``
    (``None``: the total over every dimension value)."""
    src = ind.source
    if src is None or not ind.additive:
        raise DrillError(f"{ind.code}: 该指标没有对应的人员名单 / no list of people behind it")
    given = dict(dims or {})
    unknown = set(given) - set(ind.dimensions)
    if unknown:
        raise DrillError(
            f"{ind.code}: 未知维度 / unknown dimension(s) {', '.join(sorted(unknown))}"
        )
    spread = given.pop(src.dimension, None) if src.dimension else None
    out = []
    for label, ref in src.parts.items():
        if spread is not None and label != str(spread):
            continue
        ruleset, name = ref.split(".")
        out.append(Part(ruleset, name, {**src.where, **given}, label))
    if not out:
        raise DrillError(f"{ind.code}: 没有该维度取值 / no such dimension value {spread!r}")
    return out


def members(
    snapshot: Snapshot,
    code: str,
    *,
    level: int,
    division_code: str,
    dims: dict[str, Any] | None = None,
) -> Members:
    """The subjects behind ``code``'s figure for the division (code prefix at ``level``)
    in ``snapshot``, evaluated on the snapshot's registry date. The caller checks that the
    actor may see that division (:func:`minzheng.stats.selectors.covers`)."""
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.engine.snapshot import snapshot_take
    from minzheng.stats.periods import parse_period
    from minzheng.stats.services import REGISTRY_TABLES, programme_inputs

    cat = catalogue()
    if code not in cat.indicators:
        raise DrillError(f"未知指标 / unknown indicator {code}")
    ind = cat.indicators[code]
    wanted = parts(ind, dims)
    if len(division_code) != PREFIX.get(level, -1):
        raise DrillError(f"区划代码与层级不符 / code {division_code!r} is not of level {level}")
    on = snapshot.registry_as_of
    with acting(EVERYTHING):  # the caller has checked the jurisdiction of the whole figure
        households = _households_of(division_code, on) if level else None
        ids = sorted(r["pk"] for r in households) if households is not None else None
        if ids == []:
            return Members(subject=_ruleset(wanted[0].ruleset).subject)
        registry = snapshot_take(on=on, tables=REGISTRY_TABLES, households=ids)
        inputs = {
            **registry.tables,
            **programme_inputs(parse_period(snapshot.period), on, households=households),
        }
    out = Members(subject=_ruleset(wanted[0].ruleset).subject)
    for part in wanted:
        for sk, weight in _run_members(part, inputs, on, level, division_code):
            out.rows.append((sk, weight, part.label))
    out.rows.sort()
    return out


def _run_members(
    part: Part, inputs: dict[str, Any], on: dt.date, level: int, division_code: str
) -> list[tuple[int, int]]:
    from minzheng.engine.api import conform_input
    from minzheng.engine.backends import runner_for
    from minzheng.engine.compiler import compile_ruleset
    from minzheng.engine.indicators import add_members

    rs = _ruleset(part.ruleset)
    pipeline = compile_ruleset(rs, on)
    pipeline.outputs.clear()
    add_members(
        pipeline, rs, part.indicator, on, level=level, division_code=division_code, dims=part.dims
    )
    runner = runner_for("duckdb")
    try:
        given = {n: conform_input(n, t, rs) for n, t in inputs.items() if n in pipeline.inputs}
        table = runner.run(pipeline, given)["members"]
    finally:
        runner.close()
    subjects, weights = table.column("subject_sk").to_pylist(), table.column("weight").to_pylist()
    return list(zip(subjects, weights, strict=True))


@functools.cache
def _rulesets() -> dict[str, Any]:
    from minzheng.engine.rules.loader import load_ruleset

    return {rs.name: rs for rs in (load_ruleset(p) for p in rule_files())}


def _ruleset(name: str) -> Any:
    return _rulesets()[name]


def _households_of(prefix: str, on: dt.date) -> Any:
    """Households that may hold a subject of the division (a query of their ids): the
    household's own hukou division there, or a member's (current or dated) hukou division
    there. The engine then keeps exactly the subjects it rolls up into the division."""
    from django.db.models import Q

    from minzheng.registry.models import Household, Membership

    via_members = Membership.objects.filter(
        Q(person__hukou_division__code__startswith=prefix)
        | Q(person__locations__hukou_division__code__startswith=prefix),
        valid_from__lte=on,
    ).values("household_id")
    return Household.objects.filter(
        Q(hukou_division__code__startswith=prefix) | Q(pk__in=via_members)
    ).values("pk")


def parse_dims(text: str | None) -> dict[str, Any] | None:
    """The ``dims`` query parameter: a snapshot value's ``dims_key`` (JSON) or empty for
    the total over every dimension."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise DrillError(f"维度参数无效 / bad dims parameter: {text[:60]}") from exc
    if not isinstance(value, dict):
        raise DrillError(f"维度参数无效 / bad dims parameter: {text[:60]}")
    return value

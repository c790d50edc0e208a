"""Compute the catalogue's indicators from Arrow inputs: run the rule sets, map engine
indicators to catalogue codes, check that additive figures roll up, derive ratios.

Pure (no database): the service feeds it a registry snapshot, the benchmark Parquet files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from minzheng.stats.catalogue import Catalogue, IndicatorDef, catalogue, rule_files

PREFIX = {0: 0, 1: 2, 2: 4, 3: 6, 4: 9}  # engine level → code digits
RATIO_PLACES = Decimal("0.000001")


class RollupError(AssertionError):
    """An additive indicator's children do not add up to their parent."""


@dataclass
class Row:
    code: str
    level: int
    division_code: str
    dims: dict[str, Any]
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None

    @property
    def dims_key(self) -> str:
        return dims_key(self.dims)


def dims_key(dims: Mapping[str, Any]) -> str:
    """Canonical text of dimension values (sorted keys), the uniqueness key of a figure."""
    return json.dumps(dict(sorted(dims.items())), ensure_ascii=False, separators=(",", ":"))


@dataclass
class Computation:
    rows: list[Row]
    engine_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def compute(
    inputs: Mapping[str, Any], *, as_of: dt.date, cat: Catalogue | None = None
) -> Computation:
    """Every computed indicator of the catalogue for every division level on ``as_of``."""
    import time

    cat = cat or catalogue()
    start = time.perf_counter()
    engine = run_rulesets(inputs, as_of=as_of, cat=cat)
    mid = time.perf_counter()
    rows: list[Row] = []
    for ind in cat.computed():
        if ind.additive:
            rows.extend(additive_rows(ind, engine))
    check_rollup(rows)
    rows.extend(ratio_rows(cat, rows))
    end = time.perf_counter()
    return Computation(rows, mid - start, {"engine": mid - start, "assemble": end - mid})


def run_rulesets(
    inputs: Mapping[str, Any], *, as_of: dt.date, cat: Catalogue
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``ruleset → engine indicator → rows`` for the rule sets the catalogue refers to."""
    from minzheng.engine.api import run
    from minzheng.engine.backends import runner_for
    from minzheng.engine.rules.loader import load_ruleset

    wanted = {
        ref.split(".")[0]
        for ind in cat.computed()
        if ind.source
        for ref in ind.source.parts.values()
    }
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    runner = runner_for("duckdb")
    try:
        for path in rule_files():
            rs = load_ruleset(path)
            if rs.name not in wanted:
                continue
            given = {n: t for n, t in inputs.items() if n in _reads(rs)}
            result = run(rs, given, as_of=as_of, runner=runner, check_parameters=False)
            out[rs.name] = {n: t.to_pylist() for n, t in result.indicators.items()}
    finally:
        runner.close()
    return out


def _reads(rs: Any) -> set[str]:
    return {"division", "household", "person", "parameter", *rs.inputs}


def additive_rows(ind: IndicatorDef, engine: Mapping[str, Mapping[str, list[dict]]]) -> list[Row]:
    """The engine rows of ``ind``'s parts, ``where`` applied, summed over dropped dims."""
    assert ind.source is not None
    src = ind.source
    sums: dict[tuple, int] = defaultdict(int)
    for dim_value, ref in src.parts.items():
        ruleset, name = ref.split(".")
        for r in engine[ruleset][name]:
            if any(r.get(k) != v for k, v in src.where.items()):
                continue
            dims = {d: r.get(d) for d in src.by}
            if src.dimension:
                dims[src.dimension] = dim_value
            key = (int(r["level"]), r["division_code"], dims_key(dims))
            sums[key] += int(r["value"] or 0)
    return [
        Row(ind.code, level, code, json.loads(key), Decimal(value))
        for (level, code, key), value in sums.items()
    ]


def check_rollup(rows: Iterable[Row], *, show: int = 5) -> None:
    """Raise :class:`RollupError` unless, at every level, children add up to their parent."""
    values: dict[tuple, Decimal] = {}
    children: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in rows:
        values[(r.code, r.level, r.division_code, r.dims_key)] = r.value or Decimal(0)
        if r.level > 0:
            parent = r.division_code[: PREFIX[r.level - 1]]
            children[(r.code, r.level - 1, parent, r.dims_key)] += r.value or Decimal(0)
    bad = [
        (key, values.get(key, Decimal(0)), total)
        for key, total in children.items()
        if values.get(key, Decimal(0)) != total
    ]
    bad += [
        (key, value, Decimal(0))
        for key, value in values.items()
        if key[1] < 4 and key not in children and value != 0
    ]
    if bad:
        lines = [
            f"{code} level {lvl} {div or '(nation)'} {dims}: parent {p}, children sum {c}"
            for (code, lvl, div, dims), p, c in sorted(bad, key=str)[:show]
        ]
        raise RollupError(
            f"roll-up check failed for {len(bad)} figure(s); first: " + "; ".join(lines)
        )


def ratio_rows(cat: Catalogue, rows: Iterable[Row]) -> list[Row]:
    """Ratios from their parts' figures at the same division and dimensions (never averaged)."""
    index: dict[tuple, Decimal] = {
        (r.code, r.level, r.division_code, r.dims_key): r.value or Decimal(0) for r in rows
    }
    out: list[Row] = []
    for ind in cat.indicators.values():
        if ind.kind != "ratio" or ind.ratio is None:
            continue
        num_code, den_code = ind.ratio
        for (code, level, division, key), den in index.items():
            if code != den_code:
                continue
            num = index.get((num_code, level, division, key), Decimal(0))
            value = ratio_value(int(num), int(den), ind.factor)
            out.append(Row(ind.code, level, division, json.loads(key), value, int(num), int(den)))
    return out


def ratio_value(numerator: int, denominator: int, factor: Decimal = Decimal(1)) -> Decimal | None:
    """``numerator / denominator × factor`` to six places (None when nothing to divide by)."""
    if denominator == 0:
        return None
    q = Decimal(numerator) * factor / Decimal(denominator)
    return q.quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)

"""Compute the catalogue's indicators from Arrow inputs: run the rule sets, map engine
indicators to catalogue codes, check that additive figures roll up, derive ratios.

Pure (no database): the service feeds it a registry snapshot, the benchmark Parquet files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from minzheng.engine.compiler import literal
from minzheng.stats.catalogue import Catalogue, catalogue, rule_files

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
    """The figures as one Arrow table (code, level, division_code, dims_key, value,
    numerator, denominator); :attr:`rows` gives them as :class:`Row` objects."""

    table: Any
    engine_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        return table_rows(self.table)


def compute(
    inputs: Mapping[str, Any], *, as_of: dt.date, cat: Catalogue | None = None
) -> Computation:
    """Every computed indicator of the catalogue for every division level on ``as_of``."""
    import time

    import duckdb

    cat = cat or catalogue()
    start = time.perf_counter()
    engine = run_rulesets(inputs, as_of=as_of, cat=cat)
    mid = time.perf_counter()
    con = duckdb.connect()
    try:
        additive = additive_table(cat, engine, con)
        check_table(additive, con)
        table = with_ratios(cat, additive, con)
    finally:
        con.close()
    end = time.perf_counter()
    return Computation(table, mid - start, {"engine": mid - start, "assemble": end - mid})


def run_rulesets(
    inputs: Mapping[str, Any], *, as_of: dt.date, cat: Catalogue
) -> dict[str, dict[str, Any]]:
    """``ruleset → engine indicator → Arrow table`` for the rule sets the catalogue uses."""
    from minzheng.engine.api import run
    from minzheng.engine.backends import runner_for
    from minzheng.engine.rules.loader import load_ruleset

    wanted = {
        ref.split(".")[0]
        for ind in cat.computed()
        if ind.source
        for ref in ind.source.parts.values()
    }
    out: dict[str, dict[str, Any]] = {}
    runner = runner_for("duckdb")
    try:
        for path in rule_files():
            rs = load_ruleset(path)
            if rs.name not in wanted:
                continue
            given = {n: t for n, t in inputs.items() if n in _reads(rs)}
            result = run(rs, given, as_of=as_of, runner=runner, check_parameters=False)
            out[rs.name] = dict(result.indicators)
    finally:
        runner.close()
    return out


def _reads(rs: Any) -> set[str]:
    return {"division", "household", "person", "parameter", *rs.inputs}


def _key_sql(columns: Mapping[str, str]) -> str:
    """SQL for :func:`dims_key` of a row: dimension name → SQL expression of its value."""
    if not columns:
        return "'{}'"
    items = " || ',' || ".join(
        f"{literal(json.dumps(d, ensure_ascii=False) + ':')} || "
        f"COALESCE(CAST(to_json({columns[d]}) AS VARCHAR), 'null')"
        for d in sorted(columns)
    )
    return f"'{{' || {items} || '}}'"


def additive_table(cat: Catalogue, engine: Mapping[str, Mapping[str, Any]], con: Any) -> Any:
    """Every stock and flow figure: the engine rows of each indicator's parts, ``where``
    applied, summed over the dimensions the catalogue drops (one DuckDB query)."""
    selects: list[str] = []
    for ind in cat.computed():
        if not ind.additive:
            continue
        src = ind.source
        assert src is not None
        for dim_value, ref in src.parts.items():
            ruleset, name = ref.split(".")
            view = f"t_{len(selects)}"
            con.register(view, engine[ruleset][name])
            where = " AND ".join(
                f'"{k}" IS NULL' if v is None else f'"{k}" = {literal(v)}'
                for k, v in src.where.items()
            )
            columns = {d: f'"{d}"' for d in src.by}
            if src.dimension:
                columns[src.dimension] = literal(dim_value)
            selects.append(
                f"SELECT {literal(ind.code)} AS code, CAST(level AS INTEGER) AS level, "
                f"division_code, {_key_sql(columns)} AS dims_key, "
                f"CAST(COALESCE(value, 0) AS HUGEINT) AS value FROM {view}"
                + (f" WHERE {where}" if where else "")
            )
    if not selects:
        return _empty_table()
    union = "\nUNION ALL\n".join(selects)
    return con.sql(
        "SELECT code, level, division_code, dims_key, CAST(SUM(value) AS DECIMAL(38, 6)) AS value, "
        "CAST(NULL AS BIGINT) AS numerator, CAST(NULL AS BIGINT) AS denominator "
        f"FROM ({union}) GROUP BY ALL ORDER BY code, level, division_code, dims_key"
    ).to_arrow_table()


def _empty_table() -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "code": pa.array([], pa.string()),
            "level": pa.array([], pa.int32()),
            "division_code": pa.array([], pa.string()),
            "dims_key": pa.array([], pa.string()),
            "value": pa.array([], pa.decimal128(38, 6)),
            "numerator": pa.array([], pa.int64()),
            "denominator": pa.array([], pa.int64()),
        }
    )


def check_rollup(rows: Iterable[Row], *, show: int = 5) -> None:
    """Raise :class:`RollupError` unless, at every level, children add up to their parent."""
    import duckdb

    con = duckdb.connect()
    try:
        check_table(rows_table(rows), con, show=show)
    finally:
        con.close()


def check_table(table: Any, con: Any, *, show: int = 5) -> None:
    """:func:`check_rollup` over a figures table: every parent equals the sum of its
    children at the next level, and a figure above township level with no children is 0."""
    con.register("mz_figures", table)
    cuts = " ".join(f"WHEN {lv} THEN {n}" for lv, n in PREFIX.items())
    bad = con.sql(
        f"""
        WITH kids AS (
          SELECT code, level - 1 AS level,
                 substr(division_code, 1, CASE level - 1 {cuts} END) AS division_code,
                 dims_key, SUM(value) AS total
          FROM mz_figures WHERE level > 0 GROUP BY ALL)
        SELECT code, level, division_code, dims_key, parent, children FROM (
          SELECT COALESCE(v.code, k.code) AS code, COALESCE(v.level, k.level) AS level,
                 COALESCE(v.division_code, k.division_code) AS division_code,
                 COALESCE(v.dims_key, k.dims_key) AS dims_key,
                 COALESCE(v.value, 0) AS parent, COALESCE(k.total, 0) AS children
          FROM mz_figures v FULL OUTER JOIN kids k
            ON v.code = k.code AND v.level = k.level AND v.division_code = k.division_code
           AND v.dims_key = k.dims_key)
        WHERE level < 4 AND parent <> children
        ORDER BY code, level, division_code, dims_key"""
    ).fetchall()
    con.unregister("mz_figures")
    if bad:
        lines = [
            f"{code} level {lvl} {div or '(nation)'} {dims}: parent {_plain(p)}, "
            f"children sum {_plain(c)}"
            for code, lvl, div, dims, p, c in bad[:show]
        ]
        raise RollupError(
            f"roll-up check failed for {len(bad)} figure(s); first: " + "; ".join(lines)
        )


def _plain(value: Any) -> str:
    """5 for Decimal('5.000000'), 2.5 for Decimal('2.500000')."""
    value = Decimal(value)
    return str(int(value)) if value == int(value) else str(value.normalize())


def rows_table(rows: Iterable[Row]) -> Any:
    """Rows as a figures table (the shape :func:`compute` returns)."""
    import pyarrow as pa

    rows = list(rows)
    table = _empty_table()
    if not rows:
        return table
    return pa.table(
        {
            "code": [r.code for r in rows],
            "level": pa.array([r.level for r in rows], pa.int32()),
            "division_code": [r.division_code for r in rows],
            "dims_key": [r.dims_key for r in rows],
            "value": pa.array([r.value for r in rows], pa.decimal128(38, 6)),
            "numerator": pa.array([r.numerator for r in rows], pa.int64()),
            "denominator": pa.array([r.denominator for r in rows], pa.int64()),
        },
        schema=table.schema,
    )


def table_rows(table: Any) -> list[Row]:
    """A figures table as :class:`Row` objects (dimension dicts parsed once per key)."""
    cols = [table.column(c).to_pylist() for c in table.column_names]
    dims = {key: json.loads(key) for key in set(cols[3])}
    return [
        Row(code, level, division, dict(dims[key]), value, num, den)
        for code, level, division, key, value, num, den in zip(*cols, strict=True)
    ]


def with_ratios(cat: Catalogue, additive: Any, con: Any) -> Any:
    """The additive figures plus every ratio, from its parts' figures at the same division
    and dimensions (never averaged): ``numerator / denominator × factor``, half-even."""
    import pyarrow as pa

    con.register("mz_additive", additive)
    out = [additive]
    for ind in cat.indicators.values():
        if ind.kind != "ratio" or ind.ratio is None:
            continue
        num_code, den_code = ind.ratio
        parts = con.sql(
            f"""
            SELECT d.level, d.division_code, d.dims_key,
                   CAST(COALESCE(n.value, 0) AS BIGINT) AS num, CAST(d.value AS BIGINT) AS den
            FROM mz_additive d LEFT JOIN mz_additive n
              ON n.code = {literal(num_code)} AND n.level = d.level
             AND n.division_code = d.division_code AND n.dims_key = d.dims_key
            WHERE d.code = {literal(den_code)}
            ORDER BY d.level, d.division_code, d.dims_key"""
        ).to_arrow_table()
        nums, dens = parts.column("num").to_pylist(), parts.column("den").to_pylist()
        out.append(
            pa.table(
                {
                    "code": pa.array([ind.code] * parts.num_rows, pa.string()),
                    "level": parts.column("level").cast(pa.int32()),
                    "division_code": parts.column("division_code"),
                    "dims_key": parts.column("dims_key"),
                    "value": pa.array(
                        [ratio_value(n, d, ind.factor) for n, d in zip(nums, dens, strict=True)],
                        pa.decimal128(38, 6),
                    ),
                    "numerator": pa.array(nums, pa.int64()),
                    "denominator": pa.array(dens, pa.int64()),
                },
                schema=additive.schema,
            )
        )
    con.unregister("mz_additive")
    return pa.concat_tables(out)


def ratio_value(numerator: int, denominator: int, factor: Decimal = Decimal(1)) -> Decimal | None:
    """``numerator / denominator × factor`` to six places (None when nothing to divide by)."""
    if denominator == 0:
        return None
    q = Decimal(numerator) * factor / Decimal(denominator)
    return q.quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)

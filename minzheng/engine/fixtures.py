"""The given/expect harness: a rule file's examples are its tests, on every backend.

``given`` lists rows per table with only the columns that matter (the rest take
the defaults in :mod:`~minzheng.engine.catalog`); division codes are written as
codes (``hukou_division: "440106001"``) and become surrogate keys here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog
from minzheng.engine.api import FIXED, Result, run
from minzheng.engine.errors import DefinitionError, DefinitionErrors, Loc
from minzheng.engine.params import parameter_table
from minzheng.engine.rules.schema import Example, Ruleset
from minzheng.engine.synthetic import division_table

if TYPE_CHECKING:
    from minzheng.engine.backends.base import Runner

CODES = {"hukou_division": "hukou_division_sk", "residence_division": "residence_division_sk"}


@dataclass
class Outcome:
    """What one example produced and how it differed from what it expected."""

    example: Example
    result: Result | None
    failures: list[str] = field(default_factory=list)


def run_examples(
    rs: Ruleset, *, runner: Runner | None = None, backend: str = "duckdb"
) -> list[Outcome]:
    """Run every example of ``rs``; an empty ``failures`` list means it passed."""
    return [run_example(rs, ex, runner=runner, backend=backend) for ex in rs.examples]


def run_example(
    rs: Ruleset, ex: Example, *, runner: Runner | None = None, backend: str = "duckdb"
) -> Outcome:
    inputs = example_inputs(rs, ex)
    keep = {k for row in ex.expect for k in row} - set(FIXED) - set(rs.conditions)
    keep -= {"explain", f"{rs.subject}_sk"}
    result = run(rs, inputs, as_of=ex.as_of, runner=runner, backend=backend, keep=keep)
    out = Outcome(ex, result)
    _compare_rows(rs, ex, result, out.failures)
    _compare_indicators(ex, result, out.failures)
    return out


def example_inputs(rs: Ruleset, ex: Example) -> dict[str, Any]:
    """Arrow tables for an example's ``given`` rows (every table the rule set reads)."""
    import pyarrow as pa

    lines = ex.lines.get("given", {})
    errors: list[DefinitionError] = []
    codes = {
        str(r[c])
        for t in ("household", "person")
        for r in ex.given.get(t, [])
        for c in CODES
        if r.get(c)
    }
    division, sk = division_table(codes)
    households = {r.get("household_sk"): r for r in ex.given.get("household", [])}
    tables: dict[str, Any] = {"division": division}
    known = {
        **{n: t.columns for n, t in catalog.REGISTRY.items() if n != "division"},
        **_input_columns(rs),
    }
    for name in ex.given:
        if name not in known and name != "parameter":
            errors.append(
                DefinitionError(lines.get(name, ex.loc), f"unknown table {name!r} in given")
            )
    for name, columns in known.items():
        rows = []
        for raw in ex.given.get(name, []):
            row = _row(name, dict(raw), households, sk, lines.get(name, ex.loc), errors, columns)
            rows.append(row)
        schema = pa.schema([(c, catalog.arrow_type(t)) for c, t in columns.items()])
        tables[name] = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    try:
        tables["parameter"] = parameter_table(
            _param_rows(ex), file=str(lines.get("parameter", ex.loc))
        )
    except DefinitionErrors as err:
        errors += err.errors
    if errors:
        raise DefinitionErrors(errors)
    return tables


def _input_columns(rs: Ruleset) -> dict[str, dict[str, str]]:
    return {
        n: {i.key: "text" if i.key == "id_number" else "integer", **i.columns}
        for n, i in rs.inputs.items()
    }


def _param_rows(ex: Example) -> list[dict[str, Any]]:
    return [{**r} for r in ex.given.get("parameter", [])]


def _row(
    table: str,
    row: dict[str, Any],
    households: dict[Any, dict[str, Any]],
    sk: dict[str, int],
    loc: Loc,
    errors: list[DefinitionError],
    columns: dict[str, str],
) -> dict[str, Any]:
    spec = catalog.REGISTRY.get(table)
    defaults = dict(spec.defaults) if spec else {}
    if table == "person":  # a person lives where their household is, unless told otherwise
        home = households.get(row.get("household_sk"), {})
        for code in CODES:
            row.setdefault(code, home.get(code, home.get("hukou_division")))
    if table in ("household", "person"):
        row.setdefault("residence_division", row.get("hukou_division"))
        for code, col in CODES.items():
            value = row.pop(code, None)
            row[col] = sk.get(str(value).ljust(12, "0")) if value else None
    unknown = [c for c in row if c not in columns]
    if unknown:
        errors.append(DefinitionError(loc, f"{table}: unknown column(s) {', '.join(unknown)}"))
    return {c: row.get(c, defaults.get(c)) for c in columns}


def _compare_rows(rs: Ruleset, ex: Example, result: Result, failures: list[str]) -> None:
    from minzheng.engine.explain import condition_texts

    table = result.table
    texts = condition_texts(table, rs)
    rows = {r["subject_sk"]: (i, r) for i, r in enumerate(table.to_pylist())}
    locs = ex.lines.get("expect", [])
    for n, want in enumerate(ex.expect):
        where = f"{locs[n] if n < len(locs) else ex.loc}: example {ex.name!r}"
        key = want.get("subject_sk", want.get(f"{rs.subject}_sk"))
        if key not in rows:
            failures.append(f"{where}: no result for {rs.subject} {key}")
            continue
        i, got = rows[key]
        for col, value in want.items():
            if col in ("subject_sk", f"{rs.subject}_sk"):
                continue
            actual = [texts[c][i].as_py() for c in texts] if col == "explain" else got.get(col)
            if actual != value:
                failures.append(
                    f"{where}: {rs.subject} {key}: {col} is {actual!r}, expected {value!r}"
                )


def _compare_indicators(ex: Example, result: Result, failures: list[str]) -> None:
    for name, wanted in ex.expect_indicators.items():
        table = result.indicators.get(name)
        if table is None:
            failures.append(f"{ex.loc}: example {ex.name!r}: no indicator {name!r}")
            continue
        rows = table.to_pylist()
        for want in wanted:
            keys = {k: v for k, v in want.items() if k != "value"}
            hits = [r for r in rows if all(r.get(k) == v for k, v in keys.items())]
            got = hits[0]["value"] if len(hits) == 1 else f"{len(hits)} rows"
            if got != want.get("value"):
                failures.append(
                    f"{ex.loc}: example {ex.name!r}: indicator {name} {keys}: {got!r}, expected {want.get('value')!r}"
                )

"""Dated parameters inherited down the division tree, read from a YAML file into Arrow.

A row ``{name, division, value, valid_from, valid_to}`` applies to every division
whose code starts with ``division`` ("" = the nation) over ``[valid_from, valid_to)``;
the compiled SQL picks the longest matching prefix valid on the date. Values are
integers (money in fen, shares in percent) — exact in every backend.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog
from minzheng.engine.errors import DefinitionError, DefinitionErrors, Loc
from minzheng.engine.rules.schema import Ruleset
from minzheng.engine.rules.yamlio import LDict, LList, load_file

if TYPE_CHECKING:
    import pyarrow as pa

PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)
FIELDS = ("name", "division", "value", "valid_from", "valid_to", "note")


def load_parameters(path: Path | str, rulesets: Iterable[Ruleset] = ()) -> pa.Table:
    """Read a parameter file; with ``rulesets``, also check names and that none is missing."""
    doc = load_file(path)
    rows = doc.get("parameters") if isinstance(doc, LDict) else None
    if not isinstance(rows, LList):
        raise DefinitionErrors(
            [DefinitionError(Loc(str(path), 1), "expected 'parameters:' with a list of rows")]
        )
    return parameter_table(rows, rulesets=list(rulesets), file=str(path))


def parameter_table(
    rows: Sequence[Any], *, rulesets: Sequence[Ruleset] = (), file: str = "<rows>"
) -> pa.Table:
    """Check parameter rows (mappings) and return them as the engine's ``parameter`` table."""
    import pyarrow as pa

    errors: list[DefinitionError] = []
    declared = {n: p for rs in rulesets for n, p in rs.parameters.items()}
    clean = []
    for i, row in enumerate(rows):
        loc = rows.loc(i) if isinstance(rows, LList) else Loc(file, 0)
        item = _row(row, loc, declared, errors)
        if item is not None:
            clean.append((item, loc))
    _overlaps(clean, errors)
    names = {r["name"] for r, _ in clean}
    for name, p in declared.items():
        if name not in names:
            errors.append(
                DefinitionError(p.loc, f"missing parameter: {name!r} has no values in {file}")
            )
    if errors:
        raise DefinitionErrors(errors)
    cols = {c: [r[c] for r, _ in clean] for c in catalog.PARAMETER.columns}
    return pa.table(cols, schema=catalog.PARAMETER.arrow_schema())


def _row(
    row: Any, loc: Loc, declared: dict, errors: list[DefinitionError]
) -> dict[str, Any] | None:
    before = len(errors)

    def fail(message: str) -> None:
        errors.append(DefinitionError(loc, message))

    if not isinstance(row, dict):
        fail("a parameter row must be a mapping (name, division, value, valid_from)")
        return None
    unknown = [k for k in row if k not in FIELDS]
    if unknown:
        fail(f"unknown key(s) {', '.join(map(repr, unknown))} (expected: {', '.join(FIELDS)})")
    name, prefix = str(row.get("name", "")), str(row.get("division", "") or "")
    value, start, end = row.get("value"), row.get("valid_from"), row.get("valid_to")
    if not name:
        fail("parameter row without a name")
    elif declared and name not in declared:
        fail(f"parameter {name!r} is not declared by any rule set")
    digits = prefix.isascii() and prefix.isdigit()
    if (prefix and not digits) or len(prefix) not in PREFIX_LENGTHS:
        fail(f"division {prefix!r} must be a code prefix of 0, 2, 4, 6, 9 or 12 digits")
    if isinstance(value, bool) or not isinstance(value, int):
        fail(f"value {value!r} must be a whole number (money in fen, shares in percent)")
    if not isinstance(start, dt.date):
        fail("valid_from must be a date (YYYY-MM-DD)")
    if end is not None and (
        not isinstance(end, dt.date) or (isinstance(start, dt.date) and end <= start)
    ):
        fail("valid_to must be a date after valid_from (or left out)")
    if len(errors) > before:
        return None
    return {
        "name": name,
        "division_prefix": prefix,
        "value": value,
        "valid_from": start,
        "valid_to": end,
    }


def _overlaps(rows: list[tuple[dict[str, Any], Loc]], errors: list[DefinitionError]) -> None:
    """Two values for one name and division on the same day would make the result arbitrary."""
    by_key: dict[tuple[str, str], list[tuple[dict[str, Any], Loc]]] = {}
    for r, loc in rows:
        by_key.setdefault((r["name"], r["division_prefix"]), []).append((r, loc))
    far = dt.date.max
    for (name, prefix), items in by_key.items():
        items.sort(key=lambda x: x[0]["valid_from"])
        for (a, _), (b, loc) in itertools.pairwise(items):
            if (a["valid_to"] or far) > b["valid_from"]:
                errors.append(
                    DefinitionError(
                        loc,
                        f"{name!r} for division {prefix!r} overlaps the row from {a['valid_from']}",
                    )
                )

"""Small-cell protection of public statistics: small counts and the cells that would
reveal them are withheld.

Rules (the practice of statistics offices and of DHIS2-based public dashboards):

* **Primary suppression**: a count with ``0 < value < threshold`` is withheld. The
  threshold is the setting ``MINZHENG_SMALL_CELL`` (default 5). **True zeros are shown**:
  "nobody here" identifies no one, and hiding every zero would blank most of a village
  table while telling a reader nothing the structure of the table does not already say.
* **Complementary suppression**: in every group of cells bound by a published total (a
  row with a total column, a column with a total row, the totals themselves), a lone
  withheld cell could be recovered by subtraction; so while a group has exactly one
  withheld cell, or withheld cells that add up to less than the threshold (which would
  show they are all small), the next-smallest shown cell of the group (non-zero cells
  first) is withheld too. This repeats until no group changes.
* **A final audit** solves the table's linear equations over the withheld cells (exact
  fractions) and withholds more while any withheld cell is still uniquely determined
  (e.g. a cell bridging two otherwise protected blocks).

Withheld cells read :data:`SUPPRESSED` (``*``); the footnote :data:`NOTE` explains it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minzheng.stats.figures import ReportRow, ReportTable

Cell = tuple[int, int]
SUPPRESSED = "*"
NOTE = (
    "* 为保护个人隐私，小于{n}的数值及可据以推算出它们的数值不予公布",
    "* withheld to protect privacy: counts below {n} and the cells that would reveal them",
)
DEFAULT_THRESHOLD = 5


def threshold_setting() -> int:
    """The smallest count a public export may show (``MINZHENG_SMALL_CELL``, default 5)."""
    from django.conf import settings

    return int(getattr(settings, "MINZHENG_SMALL_CELL", DEFAULT_THRESHOLD))


def is_small(value: int | Decimal | None, threshold: int) -> bool:
    """A count that must not be published on its own (zero and missing are not small)."""
    return value is not None and 0 < value < threshold


def suppress_table(
    rows: Sequence[Sequence[int | None]],
    totals_row: bool,
    totals_col: bool,
    threshold: int | None = None,
) -> list[list[int | str | None]]:
    """``rows`` with withheld cells replaced by :data:`SUPPRESSED` (None stays None).

    ``totals_row``: the last row is the sum of the rows above it; ``totals_col``: the last
    column is the sum of the columns before it (both may hold; the corner is the grand
    total). Counts are non-negative integers. ``threshold`` defaults to the setting.

    Example (threshold 5): ``[[3, 10, 13], [20, 30, 50], [23, 40, 63]]`` with both totals
    → ``[["*", "*", 13], ["*", "*", 50], [23, 40, 63]]``.
    """
    hidden = suppression_mask(rows, totals_row, totals_col, threshold)
    return [
        [SUPPRESSED if (i, j) in hidden else v for j, v in enumerate(row)]
        for i, row in enumerate(rows)
    ]


def suppression_mask(
    rows: Sequence[Sequence[int | None]],
    totals_row: bool,
    totals_col: bool,
    threshold: int | None = None,
) -> set[Cell]:
    """The (row, column) cells to withhold: primary, complementary, then the audit."""
    n = threshold_setting() if threshold is None else threshold
    groups = _groups(rows, totals_row, totals_col)
    hidden = {(i, j) for i, row in enumerate(rows) for j, v in enumerate(row) if is_small(v, n)}
    while True:
        _complete_groups(rows, groups, hidden, n)
        exposed = determined(rows, groups, hidden)
        if not exposed:
            return hidden
        before = len(hidden)
        for cell in sorted(exposed):
            for group in groups:
                if cell in group and _hide_next(rows, group, hidden):
                    break
            break  # one at a time: each addition may protect several cells
        if len(hidden) == before:  # nothing left to hide next to it (cannot happen with totals)
            hidden |= {c for g in groups if any(x in g for x in exposed) for c in g}


def _groups(
    rows: Sequence[Sequence[int | None]], totals_row: bool, totals_col: bool
) -> list[list[Cell]]:
    """Cells bound by one equation: each row (with a total column), each column (with a
    total row); the last cell of a group is its total."""
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    groups: list[list[Cell]] = []
    if totals_col:
        groups += [[(i, j) for j in range(len(rows[i]))] for i in range(height)]
    if totals_row:
        groups += [[(i, j) for i in range(height) if j < len(rows[i])] for j in range(width)]
    return [g for g in groups if len(g) > 1]


def _value(rows: Sequence[Sequence[int | None]], cell: Cell) -> int | None:
    return rows[cell[0]][cell[1]]


def _complete_groups(
    rows: Sequence[Sequence[int | None]], groups: list[list[Cell]], hidden: set[Cell], n: int
) -> None:
    changed = True
    while changed:
        changed = False
        for group in groups:
            inside = [c for c in group if c in hidden]
            total = sum(_value(rows, c) or 0 for c in inside)
            if inside and (len(inside) == 1 or 0 < total < n) and _hide_next(rows, group, hidden):
                changed = True


def _hide_next(rows: Sequence[Sequence[int | None]], group: list[Cell], hidden: set[Cell]) -> bool:
    """Withhold the group's smallest shown cell, non-zero ones first; False if none left."""
    shown = [c for c in group if c not in hidden and _value(rows, c) is not None]
    if not shown:
        return False
    hidden.add(min(shown, key=lambda c: (_value(rows, c) == 0, _value(rows, c), c)))
    return True


def determined(
    rows: Sequence[Sequence[int | None]], groups: Iterable[list[Cell]], hidden: set[Cell]
) -> set[Cell]:
    """The withheld cells a reader could compute exactly from the shown cells and totals.

    Each group says Σ members = total. Over the withheld cells that is a linear system;
    a cell is determined iff its unit vector lies in the system's row space, i.e. some
    row of the reduced row-echelon form has that cell as its only non-zero entry.
    """
    unknowns = sorted(hidden)
    index = {c: k for k, c in enumerate(unknowns)}
    matrix = []
    for group in groups:
        *parts, total = group
        coeffs = [Fraction(0)] * len(unknowns)
        for c in parts:
            if c in index:
                coeffs[index[c]] += 1
        if total in index:
            coeffs[index[total]] -= 1
        if any(coeffs):
            matrix.append(coeffs)
    return {unknowns[k] for k in _lone_pivots(matrix, len(unknowns))}


def _lone_pivots(matrix: list[list[Fraction]], width: int) -> list[int]:
    """Columns k with a reduced row-echelon row equal to the unit vector e_k."""
    rows = [r[:] for r in matrix]
    pivots: list[tuple[int, int]] = []
    r = 0
    for col in range(width):
        pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][col]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append((r, col))
        r += 1
    return [col for i, col in pivots if sum(1 for x in rows[i] if x != 0) == 1]


# --- the public statistics report --------------------------------------------------------


def protect_report(table: ReportTable, threshold: int | None = None) -> ReportTable:
    """``table`` fit for publication: small counts of people withheld with their complements.

    The breakdown by division is protected as a table with a 合计 row; the division's own
    counts (the 合计 row again) are withheld where that row is, or where they are small;
    a ratio is withheld with its parts (SA03 = SA91 / SA01 would give SA01 back), and a
    change with either of its ends. Withheld values are removed, not only marked.
    """
    n = threshold_setting() if threshold is None else threshold
    kids = table.children
    total_hidden: set[str] = set()
    if kids is not None:
        mask = suppression_mask(kids.cells, totals_row=True, totals_col=False, threshold=n)
        last = len(kids.cells) - 1
        total_hidden = {kids.codes[j] for i, j in mask if i == last}
        cells = tuple(
            tuple(None if (i, j) in mask else v for j, v in enumerate(row))
            for i, row in enumerate(kids.cells)
        )
        kids = dataclasses.replace(kids, cells=cells, hidden=frozenset(mask))
    hidden = {
        row.code: _small_cells(row, n) | ({"value"} if row.code in total_hidden else set())
        for row in table.rows
    }
    _ratio_parts(hidden)
    sections = tuple(
        dataclasses.replace(s, rows=tuple(_withhold(r, hidden[r.code]) for r in s.rows))
        for s in table.sections
    )
    return table.replace(sections=sections, children=kids, public=True)


def _small_cells(row: ReportRow, n: int) -> set[str]:
    if not row.person_count:
        return set()
    cols = {"value": row.value, "previous": row.previous, "year_ago": row.year_ago}
    return {c for c, v in cols.items() if v is not None and is_small(v * row.scale, n)}


def _ratio_parts(hidden: dict[str, set[str]]) -> None:
    """A ratio and its numerator and denominator are withheld together, column by column."""
    from minzheng.stats.catalogue import catalogue

    for ind in catalogue().indicators.values():
        if ind.ratio is None or ind.code not in hidden:
            continue
        group = [ind.code, *ind.ratio]
        for col in ("value", "previous", "year_ago"):
            if any(col in hidden.get(c, set()) for c in group):
                for c in group:
                    hidden.setdefault(c, set()).add(col)


def _withhold(row: ReportRow, cols: set[str]) -> ReportRow:
    if cols & {"value", "previous"}:
        cols = cols | {"change"}
    if not cols:
        return row
    return dataclasses.replace(
        row,
        value=None if "value" in cols else row.value,
        previous=None if "previous" in cols else row.previous,
        year_ago=None if "year_ago" in cols else row.year_ago,
        hidden=frozenset(cols),
    )

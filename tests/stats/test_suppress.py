"""Small-cell protection: small counts withheld, their complements too, no total reveals one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minzheng.stats.suppress import (
    SUPPRESSED,
    is_small,
    suppress_table,
    suppression_mask,
    threshold_setting,
)


def with_totals(body: list[list[int]], *, row: bool = True, col: bool = True) -> list[list[int]]:
    table = [[*r, sum(r)] if col else list(r) for r in body]
    if row:
        table.append([sum(c) for c in zip(*table, strict=True)])
    return table


def groups(table: list[list[int]], row: bool, col: bool) -> list[list[tuple[int, int]]]:
    h, w = len(table), len(table[0])
    out = []
    if col:
        out += [[(i, j) for j in range(w)] for i in range(h)]
    if row:
        out += [[(i, j) for i in range(h)] for j in range(w)]
    return out


def recoverable(table: list[list[int]], hidden: set, row: bool, col: bool) -> set:
    """Withheld cells a reader can compute exactly: an independent check by matrix rank —
    x_k is determined iff deleting its column from the system lowers the rank."""
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    matrix = []
    for g in groups(table, row, col):
        *parts, total = g
        matrix.append([(c in parts) - (c == total) for c in unknowns])
    if not matrix:
        return set()  # no totals: nothing to subtract from
    a = np.array(matrix, dtype=float)
    rank = np.linalg.matrix_rank(a)
    return {
        c for k, c in enumerate(unknowns) if np.linalg.matrix_rank(np.delete(a, k, axis=1)) < rank
    }


# --- the rules -----------------------------------------------------------------------------
def test_small_counts_are_withheld_but_zeros_and_missing_are_shown():
    assert [is_small(v, 5) for v in (None, 0, 1, 4, 5, 100)] == [
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    out = suppress_table([[0, 3, None, 7, 12]], totals_row=False, totals_col=False, threshold=5)
    assert out == [[0, SUPPRESSED, None, 7, 12]]


def test_a_lone_small_cell_gets_its_complements_in_row_and_column():
    table = with_totals([[3, 10], [20, 30]])  # [[3,10,13],[20,30,50],[23,40,63]]
    out = suppress_table(table, totals_row=True, totals_col=True, threshold=5)
    assert out == [[SUPPRESSED, SUPPRESSED, 13], [SUPPRESSED, SUPPRESSED, 50], [23, 40, 63]]


def test_the_complement_is_the_next_smallest_non_zero_cell_of_the_group():
    table = with_totals([[2, 0, 9, 6]], row=False)
    out = suppress_table(table, totals_row=False, totals_col=True, threshold=5)
    assert out == [[SUPPRESSED, 0, 9, SUPPRESSED, 17]]


def test_hidden_cells_adding_up_to_a_small_number_get_one_more():
    # 1 and 2 hidden would sum to 3 < 5: the row total would tell both are tiny.
    table = with_totals([[1, 2, 0, 40, 50]], row=False)
    hidden = suppression_mask(table, totals_row=False, totals_col=True, threshold=5)
    assert hidden == {(0, 0), (0, 1), (0, 3)}


def test_a_total_row_only_protects_columns():
    table = with_totals([[3, 50], [40, 60], [30, 70]], col=False)
    out = suppress_table(table, totals_row=True, totals_col=False, threshold=5)
    assert [r[0] for r in out] == [SUPPRESSED, 40, SUPPRESSED, 73]  # 30 is next-smallest
    assert [r[1] for r in out] == [50, 60, 70, 180]


def test_the_threshold_comes_from_the_setting(settings):
    assert threshold_setting() == 5
    settings.MINZHENG_SMALL_CELL = 10
    assert threshold_setting() == 10
    assert suppress_table([[7]], totals_row=False, totals_col=False) == [[SUPPRESSED]]


def test_what_the_group_rule_leaves_recoverable_the_audit_withholds():
    from minzheng.stats import suppress

    body = [[5, 0, 18, 7, 54], [59, 13, 10, 55, 2], [0, 41, 1, 25, 43], [3, 5, 6, 26, 45],
            [1, 6, 6, 2, 0]]  # fmt: skip
    table = with_totals(body)
    greedy = {(i, j) for i, r in enumerate(table) for j, v in enumerate(r) if 0 < v < 5}
    suppress._complete_groups(table, suppress._groups(table, True, True), greedy, 5)
    assert recoverable(table, greedy, True, True)  # every group has ≥ 2, yet one follows
    hidden = suppression_mask(table, totals_row=True, totals_col=True, threshold=5)
    assert greedy < hidden and not recoverable(table, hidden, True, True)


# --- the property --------------------------------------------------------------------------
bodies = st.integers(min_value=1, max_value=5).flatmap(
    lambda w: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=w, max_size=w),
        min_size=1,
        max_size=5,
    )
)


@settings(max_examples=150, deadline=None)
@given(body=bodies, row=st.booleans(), col=st.booleans(), n=st.integers(2, 10))
def test_no_withheld_cell_can_be_recovered_from_the_totals(body, row, col, n):
    table = with_totals(body, row=row, col=col)
    hidden = suppression_mask(table, totals_row=row, totals_col=col, threshold=n)
    small = {(i, j) for i, r in enumerate(table) for j, v in enumerate(r) if 0 < v < n}
    assert small <= hidden
    assert not recoverable(table, hidden, row, col)
    for g in groups(table, row, col):
        inside = [c for c in g if c in hidden]
        assert len(inside) != 1
        assert not 0 < sum(table[i][j] for i, j in inside) < n or len(inside) == len(g)

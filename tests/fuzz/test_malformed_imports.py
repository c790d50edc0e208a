"""The short input campaign: 15 malformed files per import kind, none may crash or lose a row.

The same generator and classifier as ``bench/input_campaign.py`` (which runs 200 per kind
with gigabyte zip bombs), here with 14 mutation families chosen to cover encodings, cut
files, wrong types, headers, formula injection, 1 MB cells, over-long text, ragged rows,
shared-string tricks, merged cells and hidden sheets, plus one small zip bomb (32 MB of
sheet XML in ~40 KB of zip) that must be refused. Each input runs in the test's
transaction, on SQLite or PostgreSQL (``DATABASE_URL``).

Inputs that hit a known application bug are strict xfails naming it: when the bug is
fixed the input passes, the xfail fails, and its mark is removed here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.inputs.classify import run_case
from bench.inputs.exports import check_csv, parameter_exports, registry_exports, roster_exports
from bench.inputs.kinds import KINDS, kinds_available
from bench.inputs.mutations import Case, generate
from bench.inputs.xlsx import RawSheet, raw_xlsx, sheet_bomb

FAMILIES = [
    "encoding",
    "utf16",
    "truncated-csv",
    "truncated-xlsx",
    "wrong-type",
    "empty",
    "missing-header",
    "formula",
    "huge-cell",
    "long-text",
    "ragged",
    "shared-strings",
    "merged",
    "hidden-sheet",
]
BOMB_BYTES = 32 << 20
PG = os.environ.get("DATABASE_URL", "").startswith("postgres")

# Inputs that hit a known application bug (input name → file · function · what), as strict
# xfails; empty: every bug this campaign found is fixed (and has its own unit test).
KNOWN: dict[str, str] = {}
PG_KNOWN: dict[str, str] = {}  # the same, on PostgreSQL only


def _cases() -> list[tuple[str, str, Case]]:
    out = []
    for kind in kinds_available():
        table = KINDS[kind].table()
        for name, case in generate(kind, len(FAMILIES), families=FAMILIES, table=table):
            out.append((kind, name, case))
        bomb = raw_xlsx([RawSheet("s", sheet_bomb(table.headers, BOMB_BYTES, rows=False))])
        out.append(
            (
                kind,
                f"{kind}-bomb",
                Case("zip-bomb", "whitespace:32MB", ".xlsx", bomb, None, "refuse"),
            )
        )
    return out


def _param(kind: str, name: str, case: Case) -> object:
    marks = []
    if name in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[name]))
    elif name in PG_KNOWN:
        marks.append(pytest.mark.xfail(PG, strict=True, reason=PG_KNOWN[name]))
    return pytest.param(kind, name, case, id=name, marks=marks)


@pytest.mark.parametrize(("kind", "name", "case"), [_param(*c) for c in _cases()])
def test_a_malformed_file_is_refused_or_reported_row_by_row(
    db: None, tmp_path: Path, kind: str, name: str, case: Case
) -> None:
    KINDS[kind].setup()
    path = tmp_path / f"{name}{case.suffix}"
    path.write_bytes(case.data)
    res = run_case(kind, name, case, path, timeout=15, memory_mb=256)
    assert res.outcome in ("refused", "report"), f"{res.outcome}: {res.detail}"
    assert res.lost == 0, res.detail


def test_registry_exports_neutralise_formulas(db: None, tmp_path: Path) -> None:
    for check in registry_exports(tmp_path):
        assert check.cells and not check.raw, check.as_dict()


def test_the_bank_roster_csv_neutralises_formulas(db: None, tmp_path: Path) -> None:
    csv_check = next(c for c in roster_exports(tmp_path) if c.export.startswith("bank roster .csv"))
    assert csv_check.cells and not csv_check.raw, csv_check.as_dict()


def test_the_parameters_csv_neutralises_formulas(db: None, tmp_path: Path) -> None:
    checks = parameter_exports(tmp_path)
    csv_check = next(c for c in checks if c.export.startswith("parameters .csv"))
    assert csv_check.cells and not csv_check.raw, csv_check.as_dict()


def test_the_csv_checker_sees_a_raw_formula() -> None:
    assert check_csv("x", b"a\r\n=cmd|' /C calc'!A0\r\n").raw
    assert not check_csv("x", b"a\r\n'=cmd|' /C calc'!A0\r\n").raw

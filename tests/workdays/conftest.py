"""Calendar fixtures: a seeded table, and an in-memory calendar that never leaks across tests."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from minzheng.workdays.selectors import invalidate_cache


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """Each test's rows are rolled back: drop the calendar this process holds, before and after."""
    invalidate_cache()
    yield
    invalidate_cache()


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """The table loaded from chinese-calendar (2004–2026), as if committed long ago."""
    from minzheng.workdays.services import calendar_seed

    with django_capture_on_commit_callbacks(execute=True):
        return calendar_seed()


def write_csv(path: Path, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8") -> Path:
    """A file with the header 日期,类型,名称 then ``rows``."""
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(["日期", "类型", "名称"])
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], headers: Sequence[str]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path

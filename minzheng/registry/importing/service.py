"""``registry_import``: read, validate row by row, write household chunks, report."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minzheng.accounts.models import User
from minzheng.registry import codes
from minzheng.registry.importing.columns import REGISTRY_COLUMNS, header_map, missing_required
from minzheng.registry.importing.load import apply_chunk
from minzheng.registry.importing.readers import Sheet, UnreadableFile, sheets
from minzheng.registry.importing.validate import (
    DivisionIndex,
    ImportScope,
    PersonRow,
    RowChecker,
    RowError,
)
from minzheng.registry.models import ImportBatch

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """Counts of rows and every rejected row with its reason."""

    file: str
    sheet: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)
    households: int = 0
    batch_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "households": self.households,
            "batch_id": self.batch_id,
            "errors": [e.as_dict() for e in sorted(self.errors, key=lambda e: e.row)],
            "notes": [n.as_dict() for n in self.notes],
        }


def _pick_sheet(path: Path) -> tuple[Sheet, dict[str, int]]:
    """The first sheet whose header row has every required column."""
    seen = []
    for sheet in sheets(path):
        found = header_map(sheet.headers)
        if not missing_required(found):
            return sheet, found
        seen.append(sheet)
    found = header_map(seen[0].headers) if seen else {}
    need = "、".join(c.zh for c in missing_required(found))
    raise UnreadableFile(
        f"找不到表头：缺少必填列 {need}（请使用导入模板）",
        f"no matching header row: required columns missing ({need}); use the template",
    )


def _group(
    sheet: Sheet, found: dict[str, int], checker: RowChecker, report: ImportReport
) -> dict[str, list[PersonRow]]:
    """Validate every row; keep good rows grouped by household, in file order."""
    groups: dict[str, list[PersonRow]] = {}
    first_row_of_id: dict[str, int] = {}
    heads: dict[str, int] = {}
    for rownum, cells in sheet.rows:
        report.rows += 1
        values = {k: cells[i] if i < len(cells) else None for k, i in found.items()}
        result = checker.check(rownum, values)
        if isinstance(result, list):
            report.errors.extend(result)
            continue
        err = _duplicate(result, first_row_of_id, heads)
        if err:
            report.errors.append(err)
            continue
        report.notes.extend(result.notes)
        groups.setdefault(result.household_ref, []).append(result)
    return groups


def _duplicate(
    r: PersonRow, first_row_of_id: dict[str, int], heads: dict[str, int]
) -> RowError | None:
    if r.id_number:
        if r.id_number in first_row_of_id:
            n = first_row_of_id[r.id_number]
            return RowError(
                r.row,
                "公民身份号码",
                f"身份证号与第 {n} 行重复",
                f"duplicate ID number (same as row {n})",
            )
        first_row_of_id[r.id_number] = r.row
    if r.relationship == codes.HEAD:
        if r.household_ref in heads:
            n = heads[r.household_ref]
            return RowError(
                r.row,
                "与户主关系",
                f"一户只能有一名户主（第 {n} 行已是户主）",
                f"a household has one head (row {n} already is)",
            )
        heads[r.household_ref] = r.row
    return None


def _chunks(
    groups: dict[str, list[PersonRow]], size: int
) -> list[list[tuple[str, list[PersonRow]]]]:
    out: list[list[tuple[str, list[PersonRow]]]] = [[]]
    n = 0
    for ref, rows in groups.items():
        if n >= size:
            out.append([])
            n = 0
        out[-1].append((ref, rows))
        n += len(rows)
    return [c for c in out if c]


def registry_import(
    *,
    actor: User,
    path: Path,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    chunk_rows: int = 2000,
    before_household: Callable[[str], None] | None = None,
    batch: ImportBatch | None = None,
) -> ImportReport:
    """Import the registry spreadsheet at ``path``; rows are accepted or rejected one by one.

    Raises :class:`UnreadableFile` when the file cannot be read at all. ``batch`` is an
    existing record to report progress on (the upload page creates it first).
    """
    on = as_of or dt.date.today()
    sheet, found = _pick_sheet(path)
    report = ImportReport(file=batch.file_name if batch else path.name, sheet=sheet.name)
    headers = {k: sheet.headers[i] for k, i in found.items()}
    scope = ImportScope.for_actor(actor)
    divisions = DivisionIndex()
    groups = _group(sheet, found, RowChecker(headers, divisions, on, scope), report)
    if batch is None:
        batch = ImportBatch.objects.create(file_name=path.name, actor=actor)
    extra = dict(batch.report or {})
    ImportBatch.objects.filter(pk=batch.pk).update(
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(), rows=report.rows, status="running"
    )
    report.batch_id, report.households = batch.pk, len(groups)
    total = sum(len(r) for r in groups.values())
    done = 0
    try:
        for chunk in _chunks(groups, chunk_rows):
            out = apply_chunk(
                chunk,
                on=on,
                actor=actor,
                before_household=before_household,
                scope=scope,
                code_of=divisions.code_of,
            )
            report.errors.extend(out.errors)
            for status in out.status.values():
                setattr(report, status, getattr(report, status) + 1)
            done += sum(len(rows) for _, rows in chunk)
            ImportBatch.objects.filter(pk=batch.pk).update(
                report={**extra, "progress": [done, total]}
            )
            if progress:
                progress(done, total)
    except BaseException:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status="failed", report={**extra, **report.as_dict()}
        )
        raise
    report.rejected = len({e.row for e in report.errors})
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="done", report={**extra, **report.as_dict()}
    )
    return report


__all__ = ["REGISTRY_COLUMNS", "ImportReport", "UnreadableFile", "registry_import"]

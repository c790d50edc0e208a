"""``feed_import``: read a department's file, check it row by row, write it in chunks, report.

The guarantees are the registry importer's (:mod:`minzheng.registry.importing.service`):
every bad row is reported with its row number, column and reason in Chinese and English
while the good rows land; importing the same file again changes nothing; a changed row
updates its record; a crash leaves whole chunks only and a re-run completes. Rows are
streamed, never all held in memory, so a file of a million rows imports in minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record, system_actor
from minzheng.monitoring.feeds.kinds import FeedKind, KindError
from minzheng.monitoring.feeds.kinds import kind as kind_named
from minzheng.monitoring.feeds.readers import estimate_rows, feed_sheets
from minzheng.monitoring.feeds.rows import FeedRow, FeedRowChecker
from minzheng.monitoring.feeds.store import ChunkWriter, apply_chunk
from minzheng.monitoring.models import FeedBatch
from minzheng.registry.importing.columns import header_map, missing_required
from minzheng.registry.importing.readers import Sheet, UnreadableFile
from minzheng.registry.importing.validate import DivisionIndex, ImportScope, RowError

Progress = Callable[[int, int], None]
CHUNK_ROWS = 5000
REPORT_LIMIT = 10_000  # errors (and notes) kept on the batch record; the CLI report has all


@dataclass
class FeedImportResult:
    """Counts of rows, every rejected row with its reason, and where the data came from."""

    kind: str
    file: str
    sheet: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)
    id_invalid: int = 0
    batch: int | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: e.row)
        return {
            "kind": self.kind,
            "file": self.file,
            "sheet": self.sheet,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "id_invalid": self.id_invalid,
            "batch": self.batch,
            "provenance": self.provenance,
            "errors": [e.as_dict() for e in errors[:limit]],
            "errors_total": len(errors),
            "notes": [n.as_dict() for n in self.notes[:limit]],
            "notes_total": len(self.notes),
        }


def _pick_sheet(path: Path, spec: FeedKind) -> tuple[Sheet, dict[str, int]]:
    """The first sheet whose header row has every required column of ``spec``."""
    columns = spec.import_columns
    first: dict[str, int] | None = None
    for sheet in feed_sheets(path):
        found = header_map(sheet.headers, columns)
        if not missing_required(found, columns):
            return sheet, found
        first = found if first is None else first
    need = "、".join(c.zh for c in missing_required(first or {}, columns))
    raise UnreadableFile(
        f"找不到表头：缺少必填列 {need}（请使用“{spec.title}”导入模板）",
        f"no matching header row: required columns missing ({need}); use the {spec.kind} template",
    )


def _checked(
    sheet: Sheet, found: dict[str, int], checker: FeedRowChecker, result: FeedImportResult
) -> Iterator[FeedRow]:
    """Good rows in file order; bad ones and repeated source keys go to ``result.errors``."""
    first_row: dict[str, int] = {}
    key_col = checker.headers.get(checker.kind.key, checker.kind.column(checker.kind.key).zh)
    for rownum, cells in sheet.rows:
        result.rows += 1
        row = checker.check(
            rownum, {k: cells[i] if i < len(cells) else None for k, i in found.items()}
        )
        if isinstance(row, list):
            result.errors.extend(row)
            continue
        seen = first_row.setdefault(row.source_key, rownum)
        if seen != rownum:
            result.errors.append(
                RowError(
                    rownum,
                    key_col,
                    f"记录号“{row.source_key}”与第 {seen} 行重复",
                    f"duplicate record number '{row.source_key}' (same as row {seen})",
                )
            )
            continue
        result.id_invalid += not row.id_valid
        result.notes.extend(row.notes)
        yield row


def _chunks(rows: Iterator[FeedRow], size: int) -> Iterator[list[FeedRow]]:
    chunk: list[FeedRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _provenance(spec: FeedKind, path: Path, actor: User, digest: str) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "title": spec.title,
        "department": spec.department,
        "file": path.name,
        "sha256": digest,
        "imported_by": actor.username,
        "imported_at": timezone.now().isoformat(timespec="seconds"),
    }


def _finish(batch_id: int, result: FeedImportResult, status: str) -> None:
    FeedBatch.objects.filter(pk=batch_id).update(
        status=status,
        finished_at=timezone.now(),
        rows=result.rows,
        rejected=result.rejected,
        report=result.as_dict(limit=REPORT_LIMIT),
    )


def feed_import(
    *,
    kind: str,
    path: Path,
    actor: User | None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    batch: FeedBatch | None = None,
    today: dt.date | None = None,
) -> FeedImportResult:
    """Import the ``kind`` feed at ``path``; rows are accepted or rejected one by one.

    Raises :class:`KindError` for an unknown kind and :class:`UnreadableFile` when the
    file cannot be read at all. ``batch`` is an existing record to report on (an upload
    creates it first); ``actor`` ``None`` is the system import account. Run it inside
    ``rls.acting_as(actor)`` on PostgreSQL.
    """
    actor = actor or system_actor()
    spec = kind_named(kind)
    sheet, found = _pick_sheet(path, spec)
    digest = _sha256(path)
    if batch is None:
        batch = FeedBatch.objects.create(kind=spec.kind, file_name=path.name, actor=actor)
    result = FeedImportResult(
        kind=spec.kind,
        file=batch.file_name,
        sheet=sheet.name,
        batch=batch.pk,
        provenance=_provenance(spec, path, actor, digest),
    )
    FeedBatch.objects.filter(pk=batch.pk).update(
        sha256=digest, status=FeedBatch.Status.RUNNING, report={"provenance": result.provenance}
    )
    scope = ImportScope.for_actor(actor)
    divisions = DivisionIndex()
    headers = {k: sheet.headers[i] for k, i in found.items()}
    checker = FeedRowChecker(spec, headers, divisions, today or dt.date.today(), scope)
    key_header = headers.get(spec.key, spec.column(spec.key).zh)
    writer = ChunkWriter(spec.kind, batch.pk, scope, divisions.code_of, key_header)
    total = estimate_rows(path)
    try:
        for chunk in _chunks(_checked(sheet, found, checker, result), chunk_rows):
            out = apply_chunk(writer, chunk)
            result.created += out.created
            result.updated += out.updated
            result.unchanged += out.unchanged
            result.errors.extend(out.errors)
            if progress:
                progress(result.rows, max(total, result.rows))
    except BaseException:
        _finish(batch.pk, result, FeedBatch.Status.FAILED)
        raise
    _finish(batch.pk, result, FeedBatch.Status.DONE)
    if progress:
        progress(result.rows, result.rows)
    audit_record(
        actor=actor,
        source="import",
        events=[
            Audit(
                "import",
                "feedbatch",
                batch.pk,
                rows=result.rows,
                summary=f"导入{spec.title} {path.name}：新增 {result.created}，更新 {result.updated}",
            )
        ],
    )
    return result


__all__ = ["FeedImportResult", "KindError", "UnreadableFile", "feed_import"]

"""Writing checked feed rows: one chunk, one transaction, matched on (kind, source key).

A chunk is written whole or not at all, so a crash leaves only whole chunks and a re-run
finds them unchanged. Rows go in through the bulk path (``executemany`` on SQLite, COPY
on PostgreSQL via :func:`minzheng.core.bulk.insert_rows`), not the ORM, because a feed
can hold millions of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from minzheng.core.bulk import insert_rows
from minzheng.monitoring.feeds.rows import FeedRow
from minzheng.monitoring.models import FeedBatch, FeedRecord, LinkMethod
from minzheng.registry.importing.validate import ImportScope, RowError

DATA = (
    "batch",
    "id_number",
    "id_valid",
    "name",
    "sex",
    "birth_date",
    "division_code",
    "division",
    "event_date",
    "payload",
    "row_hash",
    "updated_at",
)
INSERT = ("kind", "source_key", *DATA, "link_method", "created_at")
# A changed identity makes the record's link stale: the linkage step links it again.
UNLINK = ("person", "match_probability", "link_method", "linked_at")

TAKEN = (
    "记录号已由其他地区导入，请核对记录号",
    "this record number was imported by another area; check the number",
)


@dataclass
class ChunkOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Existing:
    pk: int
    row_hash: str
    identity: tuple[Any, ...]
    division_id: int | None


class ChunkWriter:
    """Writes one chunk of rows of one kind inside the caller's transaction."""

    def __init__(
        self,
        kind: str,
        batch_id: int,
        scope: ImportScope,
        code_of: dict[int, str],
        key_header: str = "记录号",
    ) -> None:
        self.kind = kind
        self.key_header = key_header
        self.batch_id = batch_id
        self.scope = scope
        self.code_of = code_of
        ops = connection.ops
        self.day = ops.adapt_datefield_value
        self.now = ops.adapt_datetimefield_value(timezone.now())

    def existing(self, keys: Sequence[str]) -> dict[str, Existing]:
        rows = FeedRecord.objects.filter(kind=self.kind, source_key__in=keys).values_list(
            "source_key",
            "pk",
            "row_hash",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "division_code",
            "division_id",
        )
        return {r[0]: Existing(r[1], r[2], tuple(r[3:8]), r[8]) for r in rows}

    def _data(self, r: FeedRow) -> tuple[Any, ...]:
        return (
            self.batch_id,
            r.id_number,
            r.id_valid,
            r.name,
            r.sex,
            self.day(r.birth_date),
            r.division_code,
            r.division_id,
            self.day(r.event_date),
            r.payload_json,
            r.row_hash,
            self.now,
        )

    def _ours(self, old: Existing) -> bool:
        """Whether the importing user may change a record that already exists."""
        if self.scope.low is None:
            return True
        return old.division_id is not None and self.scope.allows(self.code_of.get(old.division_id))

    def write(self, rows: list[FeedRow]) -> ChunkOutcome:
        out = ChunkOutcome()
        found = self.existing([r.source_key for r in rows])
        new: list[tuple[Any, ...]] = []
        new_rows: list[FeedRow] = []
        changed: list[tuple[Any, ...]] = []
        moved: list[tuple[Any, ...]] = []
        for r in rows:
            old = found.get(r.source_key)
            if old is None:
                new.append((self.kind, r.source_key, *self._data(r), LinkMethod.NONE, self.now))
                new_rows.append(r)
            elif not self._ours(old):
                out.errors.append(RowError(r.row, self.key_header, *TAKEN))
            elif old.row_hash == r.row_hash:
                out.unchanged += 1
            else:
                (moved if old.identity != r.identity else changed).append((*self._data(r), old.pk))
        refused = self.insert(new)
        out.errors += [RowError(new_rows[i].row, self.key_header, *TAKEN) for i in refused]
        self.update(changed, unlink=False)
        self.update(moved, unlink=True)
        out.created, out.updated = len(new) - len(refused), len(changed) + len(moved)
        return out

    def insert(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert ``rows``; returns the positions of rows refused as taken (see below)."""
        if self.scope.low is None or connection.vendor != "postgresql":
            insert_rows(FeedRecord, INSERT, rows)
            return []
        # Under row-level security a county cannot see a record another area imported, so
        # its key looks new here and only the unique index says otherwise. Rare: on that,
        # retry row by row and refuse just the taken ones.
        try:
            with transaction.atomic():
                insert_rows(FeedRecord, INSERT, rows)
            return []
        except IntegrityError:
            return [i for i, row in enumerate(rows) if not self._insert_one(row)]

    def _insert_one(self, row: tuple[Any, ...]) -> bool:
        try:
            with transaction.atomic():
                insert_rows(FeedRecord, INSERT, [row])
        except IntegrityError:
            return False
        return True

    def update(self, rows: list[tuple[Any, ...]], *, unlink: bool) -> None:
        if not rows:
            return
        meta = FeedRecord._meta
        sets = [f'"{meta.get_field(n).column}" = %s' for n in DATA]  # type: ignore[union-attr]
        if unlink:
            sets += [
                '"person_id" = NULL',
                '"match_probability" = NULL',
                f"\"link_method\" = '{LinkMethod.NONE}'",
                '"linked_at" = NULL',
            ]
        sql = f'UPDATE "{meta.db_table}" SET {", ".join(sets)} WHERE id = %s'
        with connection.cursor() as cur:
            cur.executemany(sql, rows)


def apply_chunk(writer: ChunkWriter, rows: list[FeedRow]) -> ChunkOutcome:
    """Write ``rows`` and count them on the batch in one transaction (all or nothing)."""
    with transaction.atomic():
        out = writer.write(rows)
        FeedBatch.objects.filter(pk=writer.batch_id).update(
            created=F("created") + out.created,
            updated=F("updated") + out.updated,
            unchanged=F("unchanged") + out.unchanged,
        )
    return out

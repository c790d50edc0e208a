"""Linking feed records to registry persons, and the clerical review of doubtful pairs.

:func:`link_feed_records` reads the unlinked feed records and the persons as Arrow
(set-based, not row by row), runs :func:`~minzheng.monitoring.linkage.link.link_tables`
and writes back in bulk: links at or above the accept threshold, a pending
:class:`ClericalPair` for pairs between the thresholds. :func:`clerical_decide`
records a reviewer's decision. Both are audited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.accounts.services import Audit, audit_record, system_actor
from minzheng.monitoring.linkage.config import LinkConfig, load_config
from minzheng.monitoring.models import ClericalPair, FeedRecord, LinkMethod
from minzheng.registry.models import Person

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.accounts.models import User

_BATCH = 2000
_FEED_FIELDS = ("id", "id_number", "name", "sex", "birth_date", "division_code")
_PERSON_FIELDS = {
    "id": "id",
    "id_number": "id_number",
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "hukou_division": "hukou_division__code",
    "residence_division": "residence_division__code",
    "address": "household__address",
}


def _table(rows: list[tuple[Any, ...]], names: list[str]) -> pa.Table:
    import pyarrow as pa

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: pa.array(list(c)) if rows else pa.array([], pa.string())
                     for n, c in zip(names, columns, strict=True)})  # fmt: skip


def feed_table(as_of: dt.date | None = None, *, known: int = 0) -> tuple[pa.Table, set[int]]:
    """Unlinked feed records (events up to ``as_of``) with the columns linkage maps, plus up
    to ``known`` records already linked by ID number, whose ids are returned apart.

    The nightly pass links only what came in since the last one — often too few records
    with a valid ID to learn Splink's *m* from. The already-linked ones join exactly again
    and serve as labelled pairs; their pairs are not written back.
    """
    qs = FeedRecord.objects.filter(person__isnull=True, link_method=LinkMethod.NONE)
    if as_of is not None:
        qs = qs.exclude(event_date__gt=as_of)
    rows = list(qs.order_by("id").values_list(*_FEED_FIELDS))
    extra: list[tuple[Any, ...]] = []
    if known and rows:
        linked = FeedRecord.objects.filter(link_method=LinkMethod.EXACT, id_valid=True)
        extra = list(linked.order_by("-id").values_list(*_FEED_FIELDS)[:known])
    return _table(rows + extra, list(_FEED_FIELDS)), {r[0] for r in extra}


def person_table() -> pa.Table:
    """Registry persons (not merged away) with both divisions and the household address."""
    qs = Person.objects.active().order_by("id")
    rows = list(qs.values_list(*_PERSON_FIELDS.values()))
    return _table(rows, list(_PERSON_FIELDS))


def link_feed_records(
    as_of: dt.date | None = None,
    *,
    config: LinkConfig | Path | str | None = None,
    actor: User | None = None,
) -> dict[str, Any]:
    """Link unlinked feed records to persons; queue the doubtful pairs for review.

    ``config`` is a :class:`LinkConfig` or a YAML path (default: ``default.yaml``,
    which maps the tables built here). Returns the linkage summary plus ``linked``
    and ``queued`` (records written).
    """
    from minzheng.monitoring.linkage.link import link_tables

    cfg = config if isinstance(config, LinkConfig) else load_config(config)
    left, known = feed_table(as_of, known=cfg.training.labelled_pairs)
    if left.num_rows == 0:
        return {"pairs": 0, "linked": 0, "queued": 0, "left_rows": 0}
    result = link_tables(left, person_table(), cfg, today=as_of)
    pairs = [p for p in result.pairs.to_pylist() if p["left_id"] not in known]
    accepted = [p for p in pairs if p["match_probability"] >= cfg.accept]
    doubtful = [p for p in pairs if p["match_probability"] < cfg.accept]
    with transaction.atomic():
        linked = _write_links(accepted)
        queued = _queue(doubtful)
        audit_record(
            actor=actor or system_actor(),
            events=[
                Audit(
                    "link",
                    "feedrecord",
                    "",
                    changes={"linked": linked, "queued": queued, "as_of": str(as_of or "")},
                    summary=f"部门数据比对：关联 {linked} 条，待人工核对 {queued} 条",
                    rows=len(pairs),
                )
            ],
        )
    return {**result.summary(), "linked": linked, "queued": queued, "training_rows": len(known)}


def _write_links(pairs: list[dict[str, Any]]) -> int:
    """Set person, probability, method and time on the linked records: one prepared
    UPDATE by primary key, executed for every pair (Django's ``bulk_update`` builds a CASE
    per batch, which took minutes for the first night's few hundred thousand links)."""
    from django.db import connection

    now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM stores it
    table = FeedRecord._meta.db_table
    sql = (
        f'UPDATE "{table}" SET person_id = %s, match_probability = %s, link_method = %s, '
        "linked_at = %s, updated_at = %s WHERE id = %s"
    )
    rows = [
        (p["right_id"], p["match_probability"],
         LinkMethod.EXACT if p["method"] == "exact" else LinkMethod.PROBABILISTIC,
         now, now, p["left_id"])
        for p in pairs
    ]  # fmt: skip
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            _update_from_copy(cur, table, rows)
        else:
            for start in range(0, len(rows), 20_000):
                cur.executemany(sql, rows[start : start + 20_000])
    return len(rows)


def _update_from_copy(cur: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the links into a temporary table and update in one statement (one
    round trip per million rather than one per row; row-level security still judges the
    UPDATE, in the caller's scope)."""
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS mz_links (person_id bigint, p double precision, "
        "method varchar(16), at timestamptz, id bigint) ON COMMIT DROP"
    )
    cur.execute("TRUNCATE mz_links")
    with cur.cursor.copy("COPY mz_links (person_id, p, method, at, id) FROM STDIN") as copy:
        for person, p, method, at, _, pk in rows:
            copy.write_row((person, p, method, at, pk))
    cur.execute(
        f'UPDATE "{table}" f SET person_id = l.person_id, match_probability = l.p, '
        "link_method = l.method, linked_at = l.at, updated_at = l.at FROM mz_links l "
        "WHERE f.id = l.id"
    )


def _queue(pairs: list[dict[str, Any]]) -> int:
    """Pending clerical pairs; a pair already queued or decided is left as it is."""
    rows = [
        ClericalPair(
            feed_record_id=p["left_id"],
            person_id=p["right_id"],
            match_probability=p["match_probability"],
        )
        for p in pairs
    ]
    before = ClericalPair.objects.count()
    ClericalPair.objects.bulk_create(rows, batch_size=_BATCH, ignore_conflicts=True)
    return ClericalPair.objects.count() - before


@transaction.atomic
def clerical_decide(pair: ClericalPair, *, actor: User, accept: bool) -> ClericalPair:
    """Record a reviewer's decision on a pending pair; accepting links the record (clerical)."""
    pair = ClericalPair.objects.select_for_update().select_related("feed_record").get(pk=pair.pk)
    if pair.status != ClericalPair.Status.PENDING:
        raise ValidationError(
            f"该比对已处理（{pair.get_status_display()}） / this pair was already decided"
        )
    now = timezone.now()
    pair.status = ClericalPair.Status.ACCEPTED if accept else ClericalPair.Status.REJECTED
    pair.decided_by = actor
    pair.decided_at = now
    pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    record = pair.feed_record
    if accept:
        record.person_id = pair.person_id
        record.match_probability = pair.match_probability
        record.link_method = LinkMethod.CLERICAL
        record.linked_at = now
        record.save(
            update_fields=["person", "match_probability", "link_method", "linked_at", "updated_at"]
        )
        _close_others(pair, actor, now)
    person = Person.objects.only("household_id").get(pk=pair.person_id)
    verb = "确认" if accept else "否定"
    audit_record(
        actor=actor,
        events=[
            Audit(
                "clerical_accept" if accept else "clerical_reject",
                "feedrecord",
                record.pk,
                person.household_id,
                {"person": pair.person_id, "match_probability": pair.match_probability},
                f"人工核对：{verb}部门记录 {record} 与人员 {person.pk} 为同一人",
            )
        ],
    )
    return pair


def _close_others(pair: ClericalPair, actor: User, now: dt.datetime) -> None:
    """Once a record is linked, its other pending candidates are rejected."""
    ClericalPair.objects.filter(
        feed_record_id=pair.feed_record_id, status=ClericalPair.Status.PENDING
    ).exclude(pk=pair.pk).update(
        status=ClericalPair.Status.REJECTED, decided_by=actor, decided_at=now
    )

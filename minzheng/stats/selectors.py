"""Reads of the statistics app: snapshot values an actor may see."""

from __future__ import annotations

from django.db.models import QuerySet

from minzheng.accounts.scope import scope_of
from minzheng.stats.models import Snapshot, SnapshotValue


def values_for(
    actor: object,
    snapshot: Snapshot,
    *,
    indicator: str | None = None,
    level: int | None = None,
) -> QuerySet[SnapshotValue]:
    """Figures of ``snapshot`` inside ``actor``'s jurisdiction (its division and below).

    Filtered on the stored code prefix rather than the division foreign key, so that
    figures of people attached above township level (a code with no township row) are
    still visible to the county that holds them.
    """
    qs = SnapshotValue.objects.filter(snapshot=snapshot)
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    if level is not None:
        qs = qs.filter(level=level)
    scope = scope_of(actor)
    if scope.nothing:
        return qs.none()
    if scope.everything:
        return qs
    prefix = scope.prefix or ""
    own = _level_of(prefix)
    if level is not None:  # one level: an equality (a range beside it misleads SQLite's plan)
        return qs.filter(division_code__startswith=prefix) if level >= own else qs.none()
    return qs.filter(division_code__startswith=prefix, level__gte=own)


def _level_of(prefix: str) -> int:
    return {0: 0, 2: 1, 4: 2, 6: 3, 9: 4}.get(len(prefix), 4)


def latest(period: str) -> Snapshot | None:
    """The newest version of ``period``'s snapshot."""
    return Snapshot.objects.filter(period=period).order_by("-version").first()

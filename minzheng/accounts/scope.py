"""Jurisdiction: the one place that decides which divisions' records an actor may see.

Every selector of personal data filters through :func:`division_filter`; nothing
else tests codes. The test is a range on the 12-digit code (``'440106000000' ≤ code ≤
'440106999999'``), which uses the code index on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Q, QuerySet

from minzheng.divisions.models import Division

QS = TypeVar("QS", bound=QuerySet)


@dataclass(frozen=True)
class Scope:
    everything: bool = False  # national users: all records, including those with no division
    prefix: str | None = None  # code prefix of the actor's division
    nothing: bool = False

    @property
    def code_range(self) -> tuple[str, str]:
        p = self.prefix or ""
        return p.ljust(12, "0"), p.ljust(12, "9")


NOTHING = Scope(nothing=True)
EVERYTHING = Scope(everything=True)


def scope_of(actor: object) -> Scope:
    """What ``actor`` may see: nothing unless it holds a data role and a division."""
    if not getattr(actor, "sees_personal_data", False):
        return NOTHING
    division = getattr(actor, "division", None)
    if division is None or not division.is_current:
        return NOTHING
    if division.level == 0:
        return Scope(everything=True)
    return Scope(prefix=division.prefix)


def divisions_in(scope: Scope) -> QuerySet[Division]:
    """Every division (current or retired) whose code lies in ``scope``."""
    low, high = scope.code_range
    return Division.objects.filter(code__gte=low, code__lte=high)


def division_filter(scope: Scope, *fields: str) -> Q | None:
    """A Q that keeps rows whose ``fields`` (division foreign keys) lie in ``scope``.

    ``None`` means no filter (everything); callers use ``.none()`` for ``scope.nothing``.
    """
    if scope.everything:
        return None
    ids = divisions_in(scope).values("pk")
    q = Q()
    for f in fields:
        q |= Q(**{f"{f}__in": ids})
    return q


def restrict(qs: QS, actor: object, *fields: str) -> QS:
    """``qs`` limited to rows whose division ``fields`` lie in ``actor``'s jurisdiction."""
    scope = scope_of(actor)
    if scope.nothing:
        return qs.none()
    q = division_filter(scope, *fields)
    return qs if q is None else qs.filter(q)


def within(qs: QS, division: Division, *fields: str) -> QS:
    """``qs`` limited to rows whose division ``fields`` lie inside ``division`` (a filter)."""
    q = division_filter(Scope(prefix=division.prefix), *fields)
    return qs if q is None else qs.filter(q)


def covers(actor: object, division: Division | None) -> bool:
    """Whether ``division`` lies inside ``actor``'s jurisdiction."""
    scope = scope_of(actor)
    if scope.nothing:
        return False
    if scope.everything:
        return True
    low, high = scope.code_range
    return division is not None and low <= division.code <= high

"""Reading the working-day calendar: is a day a working day, when is a deadline, how many days.

The table is held in memory as a :class:`~minzheng.workdays.counting.WorkCalendar`.
Like the division code maps (``minzheng.divisions.selectors``) it is keyed by a stamp
read from the database, so another process's import (or a rolled-back one) is noticed.
Reading the stamp on every call would cost a query per deadline, so the shared copy
re-reads it only after a write through :mod:`minzheng.workdays.services` has committed
in this process, or once ``STAMP_SECONDS`` have passed (another process's import is
seen within a second).

A thread whose calendar write sits in a transaction still open (a service called
inside the caller's ``atomic``) must see its own rows, and nobody else may: until that
transaction ends it reads the stamp on every call and keeps a private copy, so a
rollback never leaves its rows in the shared copy.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Max

from minzheng.workdays.counting import CalendarWarning, WorkCalendar, WorkingCount, WorkingDate
from minzheng.workdays.models import CalendarDay, CalendarYear, DayKind

STAMP_SECONDS = 1.0

KIND_MARK = {DayKind.HOLIDAY.value: "休", DayKind.WORKDAY.value: "班"}


@dataclass(frozen=True)
class _Cached:
    version: int
    checked: float  # time.monotonic() of the last stamp read
    stamp: tuple[Any, ...]
    calendar: WorkCalendar


_version = 0
_shared: _Cached | None = None
_mine = threading.local()  # .pending, .private: this thread's uncommitted write and its copy


def _stamp() -> tuple[Any, ...]:
    """Changes whenever a day or a covered year is added, edited or deleted (and on rollback)."""
    d = CalendarDay.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated_at"))
    y = CalendarYear.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("loaded_at"))
    return d["n"], d["top"], d["at"], y["n"], y["top"], y["at"]


def _load() -> WorkCalendar:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (workdays if kind == DayKind.WORKDAY else holidays).add(day)
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), years)


def _fresh(cached: _Cached | None, version: int) -> _Cached:
    stamp = _stamp()  # before the rows: a write in between only makes the next check reload
    calendar = cached.calendar if cached is not None and cached.stamp == stamp else _load()
    return _Cached(version, time.monotonic(), stamp, calendar)


def work_calendar() -> WorkCalendar:
    """The calendar in memory, re-read when the table has changed.

    Hold on to the result to count many deadlines against one consistent snapshot.
    """
    global _shared
    if getattr(_mine, "pending", False):
        if connection.in_atomic_block:
            _mine.private = _fresh(getattr(_mine, "private", None), 0)
            return _mine.private.calendar
        _mine.pending, _mine.private = False, None  # that transaction ended; it was rolled back
    cached, version = _shared, _version
    if (
        cached is not None
        and cached.version == version
        and time.monotonic() - cached.checked < STAMP_SECONDS
    ):
        return cached.calendar
    _shared = _fresh(cached, version)
    return _shared.calendar


def invalidate_cache() -> None:
    """Make the next read check the database (services call this after every write)."""
    global _version, _shared
    _version += 1
    _shared = None
    _mine.pending, _mine.private = False, None


def written_uncommitted() -> None:
    """This thread wrote the table inside a transaction still open (services call this)."""
    _mine.pending = True


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day (Monday–Friday in a year not yet imported)."""
    return work_calendar().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> WorkingDate:
    """The ``n``-th working day after ``start``, with a warning per year not yet imported.

    ``start`` itself is not counted and ``n=0`` returns ``start``. A year missing from
    the table is counted Monday–Friday and named in ``warnings``; this never raises
    for a missing year.
    """
    return work_calendar().add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date) -> WorkingCount:
    """Working days in ``(a, b]`` (negative if ``b`` is before ``a``), with warnings."""
    return work_calendar().working_days_between(a, b)


def deadline_warnings(start: dt.date, end: dt.date) -> tuple[CalendarWarning, ...]:
    """One warning per year not yet imported among the days in ``(start, end]``."""
    return work_calendar().warnings(start, end)


def covered_years() -> frozenset[int]:
    """Years whose official schedule is in the table."""
    return work_calendar().years


def calendar_days(year: int) -> list[CalendarDay]:
    """The holidays and make-up working days stored for ``year``, in date order."""
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def calendar_export(year: int) -> list[dict[str, str]]:
    """``year``'s days as rows under the import template's headers (re-importable)."""
    return [
        {
            "日期": d.date.isoformat(),
            "类型": KIND_MARK[d.kind],
            "名称": d.name,
            "英文名称": d.name_en,
        }
        for d in calendar_days(year)
    ]

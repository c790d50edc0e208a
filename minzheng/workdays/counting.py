"""Counting working days on an in-memory calendar: pure functions, no database.

:class:`WorkCalendar` holds three frozensets (holidays, make-up working days, covered
years) and, built on first use, one small table per year: for each day, how many working
days fall on or before it, and each working day's answer as a ready-made result. Adding
*n* working days is then two list lookups per year crossed, not a walk day by day, and
allocates nothing in the common case, so a hundred thousand deadlines cost a fraction of
a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class CalendarWarning:
    """A year whose official schedule is missing, so Monday–Friday was assumed."""

    year: int

    @property
    def message(self) -> str:
        return f"{self.year} 年的法定节假日安排尚未导入，按周一至周五计算"

    @property
    def message_en(self) -> str:
        return f"The {self.year} holiday schedule has not been imported; counting Monday–Friday"

    def __str__(self) -> str:
        return f"{self.message} / {self.message_en}"


@dataclass(frozen=True)
class WorkingDate:
    """The date a count of working days lands on, and the years it had to guess."""

    date: dt.date
    warnings: tuple[CalendarWarning, ...] = ()


@dataclass(frozen=True)
class WorkingCount:
    """How many working days, and the years it had to guess."""

    days: int
    warnings: tuple[CalendarWarning, ...] = ()


@lru_cache(maxsize=256)
def _warning(year: int) -> CalendarWarning:
    return CalendarWarning(year)


class _YearTable:
    """One year: for each day, the working days on or before it; for each working day, the answer.

    ``answers[k - 1]`` is the year's ``k``-th working day as a :class:`WorkingDate`
    carrying this year's warning if any: the result of every count that stays within
    the year, built once instead of per call.
    """

    __slots__ = ("answers", "first", "through")

    def __init__(self, year: int, calendar: WorkCalendar) -> None:
        warnings = () if year in calendar.years else (_warning(year),)
        self.first = dt.date(year, 1, 1).toordinal()
        self.answers: list[WorkingDate] = []
        self.through: list[int] = []
        for ordinal in range(self.first, dt.date(year + 1, 1, 1).toordinal()):
            day = dt.date.fromordinal(ordinal)
            if calendar.is_working_day(day):
                self.answers.append(WorkingDate(day, warnings))
            self.through.append(len(self.answers))


class WorkCalendar:
    """Working days under one snapshot of the schedule; answers never change once given."""

    def __init__(
        self, holidays: frozenset[dt.date], workdays: frozenset[dt.date], years: frozenset[int]
    ) -> None:
        self.holidays = holidays
        self.workdays = workdays
        self.years = years
        self._tables: dict[int, _YearTable] = {}
        self._counts: dict[int, WorkingCount] = {}

    def is_working_day(self, day: dt.date) -> bool:
        """Working day on the official schedule; Monday–Friday in a year not covered."""
        if day.year in self.years:
            if day in self.workdays:
                return True
            if day in self.holidays:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> WorkingDate:
        """The ``n``-th working day after ``start`` (``start`` not counted; ``n=0`` → ``start``)."""
        if n <= 0:
            if n < 0:
                raise ValueError(f"n must be ≥ 0, got {n}")
            return WorkingDate(start)
        year = start.year
        table = self._tables.get(year) or self._table(year)
        wanted = table.through[start.toordinal() - table.first] + n  # 1-based, in ``year``
        if wanted <= len(table.answers):  # the common case: the count stays in one year
            return table.answers[wanted - 1]
        while wanted > len(table.answers):
            wanted -= len(table.answers)
            year += 1
            table = self._table(year)
        end = table.answers[wanted - 1].date
        return WorkingDate(end, self.warnings(start, end))

    def working_days_between(self, a: dt.date, b: dt.date) -> WorkingCount:
        """Working days in ``(a, b]``; negative when ``b`` is before ``a``."""
        if b < a:
            back = self.working_days_between(b, a)
            return WorkingCount(-back.days, back.warnings)
        ta = self._tables.get(a.year) or self._table(a.year)
        tb = ta if a.year == b.year else self._table(b.year)
        days = tb.through[b.toordinal() - tb.first] - ta.through[a.toordinal() - ta.first]
        if ta is tb and a.year in self.years:  # the common case: one covered year, no warning
            warnings: tuple[CalendarWarning, ...] = ()
        else:
            days += sum(len(self._table(y).answers) for y in range(a.year, b.year))
            warnings = self.warnings(a, b)
        if warnings:
            return WorkingCount(days, warnings)
        found = self._counts.get(days)  # one shared result per count: built once, not per call
        if found is None:
            found = self._counts[days] = WorkingCount(days)
        return found

    def warnings(self, start: dt.date, end: dt.date) -> tuple[CalendarWarning, ...]:
        """One warning per year not covered among the days in ``(start, end]``."""
        if end <= start:
            return ()
        first = start.year if start.month < 12 or start.day < 31 else start.year + 1
        return tuple(_warning(y) for y in range(first, end.year + 1) if y not in self.years)

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            # Two threads may build the same year at once; both results are equal.
            table = self._tables[year] = _YearTable(year, self)
        return table

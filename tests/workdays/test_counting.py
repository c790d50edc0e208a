"""The in-memory arithmetic, checked against chinese-calendar itself and a day-by-day walk."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from chinese_calendar import constants, is_workday

from minzheng.workdays.counting import CalendarWarning, WorkCalendar

YEARS = frozenset(range(2004, 2027))


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(frozenset(constants.holidays), frozenset(constants.workdays), YEARS)


def walk(cal: WorkCalendar, start: dt.date, n: int) -> tuple[dt.date, list[int]]:
    """The obvious algorithm: step a day at a time, count working days, note missing years."""
    day, missing = start, []
    while n:
        day += dt.timedelta(days=1)
        n -= cal.is_working_day(day)
        if day.year not in YEARS and day.year not in missing:
            missing.append(day.year)
    return day, missing


def test_every_day_agrees_with_chinese_calendar(cal):
    day = dt.date(2004, 1, 1)
    while day.year < 2027:
        assert cal.is_working_day(day) == is_workday(day), day
        day += dt.timedelta(days=1)


def test_adding_matches_a_day_by_day_walk(cal):
    rng = random.Random(7)
    for _ in range(1500):
        start = dt.date(2003, 6, 1) + dt.timedelta(days=rng.randrange(9000))
        n = rng.choice([0, 1, 2, 3, 5, 10, 20, 30, 45, 60, 250, 400])
        got = cal.add_working_days(start, n)
        assert (got.date, [w.year for w in got.warnings]) == walk(cal, start, n), (start, n)


def test_between_inverts_adding(cal):
    rng = random.Random(11)
    for _ in range(2000):
        a = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(6000))
        n = rng.randrange(0, 600)
        b = cal.add_working_days(a, n).date
        assert cal.working_days_between(a, b).days == n, (a, n)
        assert cal.working_days_between(b, a).days == -n


def test_china_had_251_working_days_in_2024(cal):
    assert cal.working_days_between(dt.date(2023, 12, 31), dt.date(2024, 12, 31)).days == 251


def test_a_year_not_covered_counts_monday_to_friday_and_says_so(cal):
    # 2026-12-31 is a Thursday; 2027 is not in the table.
    got = cal.add_working_days(dt.date(2026, 12, 30), 3)
    assert got.date == dt.date(2027, 1, 4)
    assert got.warnings == (CalendarWarning(2027),)
    assert str(got.warnings[0]) == (
        "2027 年的法定节假日安排尚未导入，按周一至周五计算 / "
        "The 2027 holiday schedule has not been imported; counting Monday–Friday"
    )


def test_one_warning_per_missing_year_and_only_for_days_counted(cal):
    assert cal.add_working_days(dt.date(2026, 12, 31), 600).warnings == (
        CalendarWarning(2027),
        CalendarWarning(2028),
        CalendarWarning(2029),
    )
    # From 31 December only the next year's days are counted.
    assert cal.add_working_days(dt.date(2003, 12, 31), 5).warnings == ()
    assert cal.add_working_days(dt.date(2003, 12, 30), 5).warnings == (CalendarWarning(2003),)
    assert cal.add_working_days(dt.date(2027, 5, 1), 0).warnings == ()


def test_negative_n_is_a_programming_error(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(dt.date(2024, 1, 1), -1)


def test_rows_of_a_year_not_covered_are_ignored():
    # A stray holiday row must not count until its whole year is in.
    stray = WorkCalendar(frozenset({dt.date(2027, 1, 1)}), frozenset(), frozenset())
    assert stray.is_working_day(dt.date(2027, 1, 1))
    covered = WorkCalendar(frozenset({dt.date(2027, 1, 1)}), frozenset(), frozenset({2027}))
    assert not covered.is_working_day(dt.date(2027, 1, 1))

"""Deadlines on the official calendar: holidays, make-up days, missing years and the cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from minzheng.workdays import selectors
from minzheng.workdays.counting import CalendarWarning
from minzheng.workdays.models import CalendarDay, DayKind
from minzheng.workdays.selectors import (
    add_working_days,
    covered_years,
    deadline_warnings,
    is_working_day,
    working_days_between,
)
from minzheng.workdays.services import calendar_import
from tests.workdays.conftest import write_csv
from tests.workdays.schedule2027 import ROWS_2027

D = dt.date


def test_national_day_2024(seeded):
    # Holidays 1–7 October; Sunday 29 September and Saturday 12 October are working days.
    assert not any(is_working_day(D(2024, 10, d)) for d in range(1, 8))
    assert is_working_day(D(2024, 9, 29)) and is_working_day(D(2024, 10, 12))
    got = add_working_days(D(2024, 9, 30), 1)
    assert got == selectors.WorkingDate(D(2024, 10, 8))
    assert add_working_days(D(2024, 9, 28), 1).date == D(2024, 9, 29)  # Saturday → make-up Sunday
    assert add_working_days(D(2024, 10, 11), 1).date == D(2024, 10, 12)


def test_spring_festival_2025(seeded):
    # Holidays 28 January – 4 February; Sunday 26 January and Saturday 8 February worked.
    assert add_working_days(D(2025, 1, 24), 1).date == D(2025, 1, 26)
    assert add_working_days(D(2025, 1, 27), 1).date == D(2025, 2, 5)
    assert add_working_days(D(2025, 1, 27), 4).date == D(2025, 2, 8)
    assert working_days_between(D(2025, 1, 27), D(2025, 2, 9)).days == 4


def test_three_working_days_from_a_friday(seeded):
    assert add_working_days(D(2024, 6, 21), 3).date == D(2024, 6, 26)  # an ordinary week
    assert add_working_days(D(2024, 9, 27), 3).date == D(2024, 10, 8)  # across National Day


def test_start_is_not_counted_and_zero_days_is_the_start(seeded):
    assert add_working_days(D(2024, 10, 3), 0).date == D(2024, 10, 3)
    assert add_working_days(D(2024, 10, 8), 1).date == D(2024, 10, 9)


def test_working_days_between(seeded):
    assert working_days_between(D(2024, 9, 30), D(2024, 10, 8)).days == 1
    assert working_days_between(D(2024, 9, 27), D(2024, 9, 30)).days == 2  # Sun 29th + Mon 30th
    assert working_days_between(D(2024, 10, 8), D(2024, 9, 30)).days == -1
    assert working_days_between(D(2024, 10, 8), D(2024, 10, 8)).days == 0
    assert working_days_between(D(2024, 1, 1), D(2024, 12, 31)).warnings == ()


def test_a_missing_year_falls_back_with_a_warning_until_imported(seeded, tmp_path):
    # Given: 2027 not imported. 2026-12-30 is a Wednesday; 1 January 2027 a Friday.
    before = add_working_days(D(2026, 12, 30), 3)
    assert before.date == D(2027, 1, 4)
    assert [w.year for w in before.warnings] == [2027]
    assert "2027 年的法定节假日安排尚未导入" in str(before.warnings[0])
    assert working_days_between(D(2026, 12, 1), D(2027, 1, 10)).warnings == (CalendarWarning(2027),)
    # When: the 2027 schedule is imported (New Year's Day is a holiday).
    result = calendar_import(write_csv(tmp_path / "2027.csv", ROWS_2027), source="test notice")
    assert result.covered
    # Then: no warning, and the answer moves past the holiday.
    after = add_working_days(D(2026, 12, 30), 3)
    assert after == selectors.WorkingDate(D(2027, 1, 5))
    assert deadline_warnings(D(2026, 12, 1), D(2027, 12, 31)) == ()
    assert 2027 in covered_years()


def test_no_query_per_call_once_loaded(seeded, django_assert_num_queries):
    add_working_days(D(2024, 1, 1), 1)
    with django_assert_num_queries(0):
        for i in range(2000):
            add_working_days(D(2024, 1, 1) + dt.timedelta(days=i % 700), 10 + i % 20)
            working_days_between(D(2024, 1, 1), D(2025, 6, 1) + dt.timedelta(days=i % 300))


def test_an_import_in_this_process_is_seen_at_once(
    seeded, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(selectors, "STAMP_SECONDS", 1e9)  # only an invalidation can refresh
    assert is_working_day(D(2027, 10, 1))
    with django_capture_on_commit_callbacks(execute=True):  # as if committed
        calendar_import(write_csv(tmp_path / "2027.csv", ROWS_2027), source="test notice")
    assert not is_working_day(D(2027, 10, 1))


def test_a_change_from_elsewhere_is_seen_once_the_stamp_is_read_again(seeded, monkeypatch):
    # Given: the calendar is in memory.
    assert not is_working_day(D(2024, 10, 7))
    # When: another process (simulated: no service, no cache call) turns 7 October into a workday.
    day = CalendarDay.objects.get(date=D(2024, 10, 7))
    day.kind = DayKind.WORKDAY
    day.save()
    # Then: this process keeps its copy for up to STAMP_SECONDS, then notices.
    assert not is_working_day(D(2024, 10, 7))
    clock = selectors.time.monotonic() + selectors.STAMP_SECONDS + 1
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock)
    assert is_working_day(D(2024, 10, 7))


def test_a_rolled_back_import_leaves_no_trace(seeded, tmp_path):
    path = write_csv(tmp_path / "2027.csv", ROWS_2027)
    with pytest.raises(RuntimeError), transaction.atomic():
        calendar_import(path, source="test notice")
        assert not is_working_day(D(2027, 10, 1))  # the importing transaction sees its rows
        raise RuntimeError("abandon")
    assert is_working_day(D(2027, 10, 1))
    assert add_working_days(D(2027, 9, 30), 1).warnings == (CalendarWarning(2027),)


def test_an_uncommitted_import_stays_out_of_the_shared_copy(seeded, tmp_path):
    # Given: the shared copy is loaded; When: an import runs inside a caller's transaction.
    assert is_working_day(D(2027, 10, 1))
    calendar_import(write_csv(tmp_path / "2027.csv", ROWS_2027), source="test notice")
    # Then: this thread sees it; the shared copy (other threads) still holds committed rows.
    assert not is_working_day(D(2027, 10, 1))
    assert selectors._shared is None  # dropped by the import, not refilled from uncommitted rows


def test_an_empty_table_never_raises(db):
    got = add_working_days(D(2024, 9, 30), 1)
    assert got.date == D(2024, 10, 1)
    assert got.warnings == (CalendarWarning(2024),)

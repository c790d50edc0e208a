"""Seeding from chinese-calendar and importing a State Council file: errors, idempotence, export."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.workdays.importing import CalendarFileError, read_schedule
from minzheng.workdays.models import CalendarDay, CalendarYear, DayKind
from minzheng.workdays.selectors import add_working_days, calendar_export, covered_years
from minzheng.workdays.services import calendar_import, calendar_seed
from minzheng.workdays.template import template_xlsx
from tests.workdays.conftest import write_csv, write_xlsx
from tests.workdays.schedule2027 import ROWS_2027

D = dt.date
NOTICE = "国办发明电〔2026〕1号（测试）"


def errors_of(result) -> dict[int, list[tuple[str, str, str]]]:  # type: ignore[no-untyped-def]
    out: dict[int, list[tuple[str, str, str]]] = {}
    for e in result.errors:
        out.setdefault(e.row, []).append((e.column, e.reason, e.reason_en))
    return out


# --- seeding -------------------------------------------------------------------------------


def test_seed_loads_every_year_the_package_covers(seeded):
    from chinese_calendar.constants import holidays, workdays

    assert seeded.created == len(holidays) + len(workdays)
    assert seeded.years == list(range(2004, 2027))
    assert set(covered_years()) == set(range(2004, 2027))
    day = CalendarDay.objects.get(date=D(2024, 10, 1))
    assert (day.kind, day.name, day.name_en) == (DayKind.HOLIDAY, "国庆节", "National Day")
    assert day.source.startswith("chinese-calendar ")
    assert CalendarDay.objects.get(date=D(2024, 4, 4)).name == "清明节"  # the notice's name
    make_up = CalendarDay.objects.get(date=D(2024, 9, 29))
    assert (make_up.kind, make_up.name) == (DayKind.WORKDAY, "国庆节")
    assert CalendarYear.objects.get(year=2024).note == "放假 28 天，调休上班 8 天"


def test_seeding_twice_changes_nothing(seeded):
    stamp = list(CalendarDay.objects.values_list("pk", "updated_at"))
    years = list(CalendarYear.objects.values_list("year", "loaded_at"))
    again = calendar_seed()
    assert (again.created, again.updated, again.unchanged) == (0, 0, seeded.created)
    assert list(CalendarDay.objects.values_list("pk", "updated_at")) == stamp
    assert list(CalendarYear.objects.values_list("year", "loaded_at")) == years


def test_seed_leaves_a_year_imported_from_a_notice_alone(seeded):
    # Given: 2026 re-imported from the notice with one name changed.
    calendar_import(
        [{"日期": "2026-10-01", "类型": "休", "名称": "国庆节（通知）"}], source=NOTICE, year=2026
    )
    # When: the package is loaded again. Then: 2026 keeps the notice's rows.
    again = calendar_seed()
    assert 2026 in again.kept_years and 2026 not in again.years
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节（通知）"
    assert CalendarYear.objects.get(year=2026).source == NOTICE


# --- importing a clean file ------------------------------------------------------------------


def test_a_clean_csv_lands_whole_and_covers_its_year(db, tmp_path):
    r = calendar_import(write_csv(tmp_path / "2027.csv", ROWS_2027), source=NOTICE)
    assert (r.year, r.rows, r.created, r.rejected, r.covered) == (2027, 21, 21, 0, True)
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.note) == (NOTICE, "放假 17 天，调休上班 4 天")
    day = CalendarDay.objects.get(date=D(2027, 2, 6))
    assert (day.kind, day.name, day.name_en, day.source) == (
        DayKind.HOLIDAY,
        "春节",
        "Spring Festival",
        NOTICE,
    )
    event = AuditEvent.objects.get(action="import", object_type="calendar_year")
    assert event.object_id == "2027" and event.changes["created"] == 21


def test_xlsx_with_english_headers_date_cells_and_english_kinds(db, tmp_path):
    rows = [
        [dt.datetime(2027, 1, 1), "holiday", "元旦"],
        [D(2027, 1, 2), "Holiday", "元旦"],
        ["2027年1月31日", "workday", "春节"],
    ]
    r = calendar_import(
        write_xlsx(tmp_path / "a.xlsx", rows, ["date", "kind", "name"]), source=NOTICE
    )
    assert (r.created, r.rejected, r.covered) == (3, 0, True)
    assert CalendarDay.objects.get(date=D(2027, 1, 31)).kind == DayKind.WORKDAY


def test_a_gbk_csv_from_excel(db, tmp_path):
    r = calendar_import(write_csv(tmp_path / "a.csv", ROWS_2027, encoding="gbk"), source=NOTICE)
    assert r.created == 21 and CalendarDay.objects.get(date=D(2027, 10, 1)).name == "国庆节"


def test_reimporting_changes_nothing(db, tmp_path):
    path = write_csv(tmp_path / "2027.csv", ROWS_2027)
    calendar_import(path, source=NOTICE)
    days = list(CalendarDay.objects.values_list("pk", "updated_at"))
    loaded = CalendarYear.objects.get(year=2027).loaded_at
    audits = AuditEvent.objects.count()
    again = calendar_import(path, source=NOTICE)
    assert (again.created, again.updated, again.unchanged, again.covered) == (0, 0, 21, True)
    assert list(CalendarDay.objects.values_list("pk", "updated_at")) == days
    assert CalendarYear.objects.get(year=2027).loaded_at == loaded
    assert AuditEvent.objects.count() == audits


def test_a_corrected_notice_updates_only_what_changed(db, tmp_path):
    calendar_import(write_csv(tmp_path / "a.csv", ROWS_2027), source=NOTICE)
    amended = [*ROWS_2027[:-1], ["2027-10-08", "休", "国庆节"]]  # 9 October no longer worked
    r = calendar_import(write_csv(tmp_path / "b.csv", amended), source="补充通知")
    assert (r.created, r.updated, r.unchanged) == (1, 0, 20)
    # Rows are never deleted by an import: the old make-up day stays until removed by hand.
    assert CalendarDay.objects.filter(date=D(2027, 10, 9)).exists()
    assert CalendarYear.objects.get(year=2027).source == "补充通知"


# --- bad rows --------------------------------------------------------------------------------


def test_every_bad_row_is_named_and_good_rows_still_land(db, tmp_path):
    rows = [
        ["2027-01-01", "休", "元旦"],  # 2 good
        ["2027-02-30", "休", "春节"],  # 3 no such day
        ["2027-02-08", "加班", "春节"],  # 4 unknown kind
        ["2027-02-09", "", "春节"],  # 5 kind missing
        ["", "休", "春节"],  # 6 date missing
        ["2027-01-04", "班", "元旦"],  # 7 Monday marked 班
        ["2027-10-02", "休", "国庆节"],  # 8 conflicts with 9 (a Saturday: both kinds possible)
        ["2027-10-02", "班", "国庆节"],  # 9
        ["2027-01-02", "休", "元旦"],  # 10 good
        ["2027-01-02", "休", "元旦"],  # 11 exact repeat of 10: ignored
        ["2207-01-01", "休", "元旦"],  # 12 far from 2027
        ["oops", "?", ""],  # 13 two bad cells
    ]
    r = calendar_import(write_csv(tmp_path / "bad.csv", rows), source=NOTICE)
    errs = errors_of(r)
    assert sorted(errs) == [3, 4, 5, 6, 7, 8, 9, 12, 13]
    assert errs[3] == [
        (
            "日期",
            "日期格式错误，应为 2024-07-01 或 2024年7月1日",
            "not a date; use 2024-07-01 or 2024年7月1日",
        )
    ]
    assert errs[4][0][0] == "类型" and "加班" in errs[4][0][1] and "加班" in errs[4][0][2]
    assert errs[5][0][:2] == ("类型", "类型不能为空，应为 休 或 班")
    assert errs[6][0][:2] == ("日期", "日期不能为空")
    assert errs[7][0][0] == "日期" and "星期一" in errs[7][0][1] and "Monday" in errs[7][0][2]
    assert "第 8、9 行" in errs[8][0][1] and errs[8] == errs[9]
    assert "2207-01-01 不属于 2027 年的安排" in errs[12][0][1]
    assert [c for c, _, _ in errs[13]] == ["日期", "类型"]
    assert r.rejected == 9
    # Good rows landed, the year is not marked, and deadlines still warn.
    assert sorted(CalendarDay.objects.values_list("date", flat=True)) == [
        D(2027, 1, 1),
        D(2027, 1, 2),
    ]
    assert not r.covered and not CalendarYear.objects.filter(year=2027).exists()
    assert "未将 2027 年标记为已导入" in r.message and "did not mark 2027" in r.message_en
    assert add_working_days(D(2026, 12, 31), 1).date == D(2027, 1, 1)  # still Monday–Friday
    assert add_working_days(D(2026, 12, 31), 1).warnings


def test_text_longer_than_its_column_is_a_row_error(db, tmp_path):
    # given names longer than CalendarDay.name (60), one of them a 1 MB cell
    rows = [
        ["2027-01-01", "休", "元旦"],
        ["2027-02-10", "休", "春" * 61],
        ["2027-02-11", "休", "节" * 1_000_000],
    ]
    r = calendar_import(write_csv(tmp_path / "long.csv", rows), source=NOTICE)
    errs = errors_of(r)
    assert sorted(errs) == [3, 4]
    assert errs[3] == [("名称", "超过最大长度 60 个字符", "longer than 60 characters")]
    assert errs[4][0][0] == "名称" and "32767" in errs[4][0][2]
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [D(2027, 1, 1)]


def test_a_weekend_holiday_is_fine(db):
    # Holiday stretches include Saturdays and Sundays; only 班 must fall on a weekend.
    r = calendar_import([{"日期": "2027-01-02", "类型": "休", "名称": "元旦"}], source=NOTICE)
    assert (r.created, r.rejected) == (1, 0)


def test_the_year_can_be_named(db):
    # The 2012 notice made 2011-12-31 (a Saturday) a working day.
    rows = [
        {"日期": "2011-12-31", "类型": "班", "名称": "元旦"},
        {"日期": "2012-01-01", "类型": "休", "名称": "元旦"},
    ]
    r = calendar_import(rows, source="国办发明电〔2011〕39号", year=2012)
    assert r.year == 2012 and r.covered
    assert list(CalendarYear.objects.values_list("year", flat=True)) == [2012]


def test_a_named_year_without_its_dates_is_not_covered(db):
    r = calendar_import(
        [{"日期": "2026-12-31", "类型": "休", "名称": ""}], source=NOTICE, year=2027
    )
    assert not r.covered and "没有 2027 年的日期" in r.message
    assert not CalendarYear.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("missing.csv", None, "unreadable"),
        ("notes.pdf", b"%PDF-1.4", "unreadable"),
        ("noheader.csv", "day,type\n2027-01-01,休\n".encode(), "no_header"),
    ],
)
def test_an_unreadable_file_raises_a_bilingual_error(db, tmp_path, name, content, code):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CalendarFileError) as exc:
        calendar_import(path, source=NOTICE)
    assert exc.value.code == code and exc.value.message and exc.value.message_en
    assert not CalendarDay.objects.exists()


# --- export and template ---------------------------------------------------------------------


def test_export_round_trips_through_import(seeded):
    rows = calendar_export(2025)
    assert rows[0] == {
        "日期": "2025-01-01",
        "类型": "休",
        "名称": "元旦",
        "英文名称": "New Year's Day",
    }
    assert {
        "日期": "2025-01-26",
        "类型": "班",
        "名称": "春节",
        "英文名称": "Spring Festival",
    } in rows
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    r = calendar_import(rows, source=NOTICE)
    assert (r.created, r.covered) == (len(rows), True)
    assert calendar_export(2025) == rows


def test_the_template_reads_back_as_an_empty_schedule(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_xlsx())
    schedule = read_schedule(path)
    assert (schedule.sheet, schedule.read, schedule.year, schedule.errors) == (
        "节假日安排",
        0,
        None,
        [],
    )

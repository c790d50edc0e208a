"""Reading a holiday schedule from CSV/XLSX or rows: every bad row named with column and reason.

The spreadsheet readers and cell parsers are the registry import's (same encodings,
same date formats, same header aliases); the rules here are the calendar's own:

* 类型 is 休/假/放假/holiday or 班/上班/补班/workday;
* a make-up working day (班) must be a Saturday or Sunday — a weekday is a working day
  anyway, so 班 on one is a mistyped date;
* a date listed twice with a different type or name is rejected on every row that lists
  it (which one is right cannot be told); an exact repeat is ignored;
* the file covers one year (``year=``, or the year most rows fall in); a row may reach
  into the next or previous year (the 2012 notice made 2011-12-31 a working day), one
  further away is a typo.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from minzheng.core.errors import BilingualError
from minzheng.registry.importing.columns import Column, header_map, missing_required
from minzheng.registry.importing.readers import Cell, UnreadableFile, sheets
from minzheng.registry.importing.values import BadValue, date_value, text
from minzheng.workdays.models import CalendarDay, DayKind

COLUMNS: tuple[Column, ...] = (
    Column("date", "日期", "date", True, "如 2027-01-01 或 2027年1月1日"),
    Column(
        "kind", "类型", "kind", True, "休（放假）或 班（调休上班，须为周六或周日）", ("休", "班")
    ),
    Column("name", "名称", "name", False, "节日名称，如 春节、国庆节"),
    Column("name_en", "英文名称", "name_en", False, "可空：常见节日自动填写"),
)
_BY_KEY = {c.key: c for c in COLUMNS}
T = TypeVar("T")

KINDS = {
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "holiday": DayKind.HOLIDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "补班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
}

# The State Council's names → English (chinese-calendar's short forms map the same way).
HOLIDAY_NAMES = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
}
SHORT_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
WEEKDAYS = "一二三四五六日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarFileError(BilingualError):
    """The file cannot be read at all (missing, wrong type, no header with 日期 and 类型)."""


@dataclass(frozen=True)
class RowError:
    """One bad cell, in the registry import's report format."""

    row: int
    column: str
    reason: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True)
class DayRow:
    """A checked row: what the table should hold for ``date``."""

    row: int
    date: dt.date
    kind: str
    name: str = ""
    name_en: str = ""


@dataclass
class Schedule:
    """A file read and checked: its year, the good rows and every error."""

    year: int | None
    rows: list[DayRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    read: int = 0  # rows in the file (blank rows not counted)
    sheet: str = ""


def english_name(name: str) -> str:
    """The English name of a holiday called ``name`` in Chinese, or ``""``."""
    return HOLIDAY_NAMES.get(SHORT_NAMES.get(name, name), "")


def read_schedule(
    source: Path | str | Iterable[Mapping[str, Any]], *, year: int | None = None
) -> Schedule:
    """Read and check a schedule; raises :class:`CalendarFileError` if it cannot be read.

    Rows given directly are dicts keyed by header (Chinese or English); they are
    numbered from 2, as if under a header row, so reports read like a spreadsheet's.
    """
    if isinstance(source, str | Path):
        sheet, cells = _file_rows(Path(source))
    else:
        sheet, cells = "", _mapping_rows(source)
    checked, errors, count = [], [], 0
    for rownum, values in cells:
        count += 1
        result = _check(rownum, values)
        if isinstance(result, DayRow):
            checked.append(result)
        else:
            errors.extend(result)
    good, conflicts = _deduplicate(checked)
    year = year or _main_year(good)
    good, far = _near_year(good, year)
    errors = sorted(errors + conflicts + far, key=lambda e: e.row)
    return Schedule(year, good, errors, count, sheet)


def _file_rows(path: Path) -> tuple[str, Iterable[tuple[int, dict[str, Cell]]]]:
    """The first sheet whose header has 日期 and 类型, as (row number, {key: cell})."""
    try:
        found_sheets = list(sheets(path))
    except UnreadableFile as exc:
        raise CalendarFileError("unreadable", exc.message, exc.message_en) from exc
    for sheet in found_sheets:
        found = header_map(sheet.headers, COLUMNS)
        if not missing_required(found, COLUMNS):
            rows = (
                (n, {k: cells[i] if i < len(cells) else None for k, i in found.items()})
                for n, cells in sheet.rows
            )
            return sheet.name, rows
    raise CalendarFileError(
        "no_header",
        "找不到表头：须有 日期 和 类型 两列（请使用导入模板）",
        "no header row with the columns 日期/date and 类型/kind; use the template",
    )


def _mapping_rows(rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple[int, dict[str, Cell]]]:
    for n, row in enumerate(rows, start=2):
        headers = list(row)
        found = header_map(headers, COLUMNS)
        yield n, {k: row[headers[i]] for k, i in found.items()}


def _check(rownum: int, values: dict[str, Cell]) -> DayRow | list[RowError]:
    """A row as a :class:`DayRow`, or every problem in it."""
    errors: list[RowError] = []
    day = _cell(rownum, "date", _date, values, errors)
    kind = _cell(rownum, "kind", _kind, values, errors)
    if day is not None and kind == DayKind.WORKDAY and day.weekday() < 5:
        weekday, weekday_en = WEEKDAYS[day.weekday()], WEEKDAYS_EN[day.weekday()]
        errors.append(
            RowError(
                rownum,
                _BY_KEY["date"].zh,
                f"{day} 是星期{weekday}，调休上班日应为周六或周日，请检查日期",
                f"{day} is a {weekday_en}; a make-up working day is a Saturday or Sunday",
            )
        )
    name = _cell(rownum, "name", _name, values, errors)
    name_en = _cell(rownum, "name_en", _name_en, values, errors)
    if errors or day is None or kind is None or name is None or name_en is None:
        return errors
    return DayRow(rownum, day, kind, name, name_en or english_name(name))


def _cell(
    rownum: int,
    key: str,
    parse: Callable[[Cell], T],
    values: dict[str, Cell],
    errors: list[RowError],
) -> T | None:
    """``parse`` the cell under ``key``; a bad cell becomes an error on its column."""
    try:
        return parse(values.get(key))
    except BadValue as exc:
        errors.append(RowError(rownum, _BY_KEY[key].zh, exc.reason, exc.reason_en))
        return None


def _date(cell: Cell) -> dt.date:
    day = date_value(cell)
    if day is None:
        raise BadValue("日期不能为空", "the date is missing")
    return day


def _kind(cell: Cell) -> str:
    mark = text(cell)
    if not mark:
        raise BadValue("类型不能为空，应为 休 或 班", "the kind is missing; use 休 or 班")
    kind = KINDS.get(mark.lower())
    if kind is None:
        raise BadValue(
            f"类型“{mark}”无法识别，应为 休 或 班",
            f"unknown kind {mark!r}; use 休/holiday or 班/workday",
        )
    return str(kind)


def _name(cell: Cell) -> str:
    name = _fits("name", text(cell))
    return SHORT_NAMES.get(name, name)


def _name_en(cell: Cell) -> str:
    return _fits("name_en", text(cell))


def _fits(field: str, value: str) -> str:
    """``value`` if it fits the table's column, else the reason it does not."""
    limit = getattr(CalendarDay._meta.get_field(field), "max_length", None)
    if limit is not None and len(value) > limit:
        raise BadValue(f"超过最大长度 {limit} 个字符", f"longer than {limit} characters")
    return value


def _deduplicate(rows: list[DayRow]) -> tuple[list[DayRow], list[RowError]]:
    """Drop exact repeats; reject every row of a date listed with different contents."""
    by_date: dict[dt.date, list[DayRow]] = {}
    for r in rows:
        by_date.setdefault(r.date, []).append(r)
    good, errors = [], []
    for day, same in by_date.items():
        if len({(r.kind, r.name, r.name_en) for r in same}) == 1:
            good.append(same[0])
            continue
        numbers = "、".join(str(r.row) for r in same)
        for r in same:
            errors.append(
                RowError(
                    r.row,
                    _BY_KEY["date"].zh,
                    f"{day} 在第 {numbers} 行出现且内容不一致，无法判断哪一行正确",
                    f"{day} is listed on rows {numbers} with different contents",
                )
            )
    return sorted(good, key=lambda r: r.row), errors


def _main_year(rows: list[DayRow]) -> int | None:
    """The year most rows fall in (ties: the later year, the one being published)."""
    counts = Counter(r.date.year for r in rows)
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


def _near_year(rows: list[DayRow], year: int | None) -> tuple[list[DayRow], list[RowError]]:
    if year is None:
        return rows, []
    near = [r for r in rows if abs(r.date.year - year) <= 1]
    far = [
        RowError(
            r.row,
            _BY_KEY["date"].zh,
            f"{r.date} 不属于 {year} 年的安排，请检查年份",
            f"{r.date} is not part of the {year} schedule; check the year",
        )
        for r in rows
        if abs(r.date.year - year) > 1
    ]
    return near, far

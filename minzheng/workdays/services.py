"""Writing the working-day calendar: seed it from chinese-calendar, import a State Council file.

Both upsert by date, so running either twice changes nothing, and both clear the
in-memory calendar of this process (other processes notice within a second).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.workdays.importing import SHORT_NAMES, DayRow, RowError, read_schedule
from minzheng.workdays.models import CalendarDay, CalendarYear, DayKind
from minzheng.workdays.selectors import invalidate_cache, written_uncommitted

SEED_PREFIX = "chinese-calendar"


@dataclass
class Upserted:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_years: set[int] = field(default_factory=set)


@dataclass
class SeedResult:
    """Counts of days written; years now covered; years left alone (imported from a notice)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    years: list[int] = field(default_factory=list)
    kept_years: list[int] = field(default_factory=list)


@dataclass
class ImportResult:
    """Counts of rows, every rejected row, and whether the year is now covered."""

    file: str
    source: str
    year: int | None = None
    sheet: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    covered: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def message(self) -> str:
        if self.covered:
            return f"{self.year} 年的法定节假日安排已导入"
        if self.year is None:
            return "文件中没有可用的日期，未标记任何年份"
        if self.errors:
            return f"有 {self.rejected} 行错误，本次导入未将 {self.year} 年标记为已导入；请更正后重新导入整个文件"
        return f"文件中没有 {self.year} 年的日期，{self.year} 年未标记为已导入"

    @property
    def message_en(self) -> str:
        if self.covered:
            return f"the {self.year} holiday schedule is imported"
        if self.year is None:
            return "no usable dates in the file; no year marked as imported"
        if self.errors:
            return (
                f"{self.rejected} rows rejected, so this import did not mark {self.year} as imported; "
                "correct them and import the whole file again"
            )
        return f"no dates of {self.year} in the file; {self.year} is not marked as imported"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "source": self.source,
            "year": self.year,
            "sheet": self.sheet,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "covered": self.covered,
            "message": self.message,
            "message_en": self.message_en,
            "errors": [e.as_dict() for e in self.errors],
        }


@contextmanager
def _writing() -> Iterator[None]:
    """One transaction; the in-memory calendar is dropped after it, committed or not."""
    nested = connection.in_atomic_block
    try:
        with transaction.atomic():
            transaction.on_commit(invalidate_cache)
            yield
    finally:
        invalidate_cache()
        if nested:  # the caller's transaction decides: until then only this thread sees it
            written_uncommitted()


def calendar_seed() -> SeedResult:
    """Load every year the chinese-calendar package covers (idempotent).

    A year already imported from a State Council file (any other source) is left as it is.
    """
    import chinese_calendar
    from chinese_calendar.constants import Holiday, holidays, workdays

    source = f"{SEED_PREFIX} {chinese_calendar.__version__}"
    years = set(range(min(holidays).year, max(holidays).year + 1))
    with _writing():
        kept = set(
            CalendarYear.objects.filter(year__in=years)
            .exclude(source__startswith=SEED_PREFIX)
            .values_list("year", flat=True)
        )
        rows = [
            DayRow(0, day, str(kind), SHORT_NAMES.get(h.chinese, h.chinese), h.value)
            for table, kind in ((holidays, DayKind.HOLIDAY), (workdays, DayKind.WORKDAY))
            for day, h in ((d, Holiday(v)) for d, v in table.items())
            if day.year not in kept
        ]
        done = _upsert(rows, source)
        _cover(years - kept, rows, source, done.changed_years)
    return SeedResult(
        done.created, done.updated, done.unchanged, sorted(years - kept), sorted(kept)
    )


def calendar_import(
    path_or_rows: Path | str | Iterable[Mapping[str, Any]],
    *,
    source: str,
    year: int | None = None,
    actor: User | None = None,
) -> ImportResult:
    """Import one year's schedule from .csv/.xlsx or rows of 日期/类型/名称 (idempotent).

    Good rows land and bad ones are reported, in one transaction. The year (``year``,
    or the one most rows fall in) is marked covered only when no row was rejected: a
    schedule with a hole would give wrong deadlines without any warning.
    Raises :class:`~minzheng.workdays.importing.CalendarFileError` if the file cannot be read.
    """
    schedule = read_schedule(path_or_rows, year=year)
    name = str(path_or_rows) if isinstance(path_or_rows, str | Path) else "rows"
    result = ImportResult(name, source, schedule.year, schedule.sheet, schedule.read)
    result.errors = schedule.errors
    in_year = [r for r in schedule.rows if r.date.year == schedule.year]
    result.covered = schedule.year is not None and not schedule.errors and bool(in_year)
    with _writing():
        done = _upsert(schedule.rows, source)
        result.created, result.updated = done.created, done.updated
        result.unchanged = done.unchanged
        newly = []
        if result.covered and schedule.year is not None:
            newly = _cover({schedule.year}, in_year, source, done.changed_years)
        if done.created or done.updated or newly:
            _audit(actor, result)
    return result


def _upsert(rows: list[DayRow], source: str) -> Upserted:
    """Create or update one row per date; rows equal to the table are left untouched."""
    out = Upserted()
    if not rows:
        return out
    dates = [r.date for r in rows]
    existing = {d.date: d for d in CalendarDay.objects.filter(date__range=(min(dates), max(dates)))}
    now = timezone.now()
    new, changed = [], []
    for r in rows:
        day = existing.get(r.date)
        if day is None:
            new.append(
                CalendarDay(date=r.date, kind=r.kind, name=r.name, name_en=r.name_en, source=source)
            )
        elif (day.kind, day.name, day.name_en) != (r.kind, r.name, r.name_en):
            day.kind, day.name, day.name_en, day.source = r.kind, r.name, r.name_en, source
            day.updated_at = now  # bulk_update skips auto_now; the cache stamp reads it
            changed.append(day)
        else:
            continue
        out.changed_years.add(r.date.year)
    CalendarDay.objects.bulk_create(new)
    CalendarDay.objects.bulk_update(changed, ["kind", "name", "name_en", "source", "updated_at"])
    out.created, out.updated = len(new), len(changed)
    out.unchanged = len(rows) - len(new) - len(changed)
    return out


def _cover(years: set[int], rows: list[DayRow], source: str, changed: set[int]) -> list[int]:
    """Record ``years`` as covered; a covered year is touched again only if its days changed.

    Returns the years newly covered.
    """
    existing = {y.year: y for y in CalendarYear.objects.filter(year__in=years)}
    now = timezone.now()
    new, touched = [], []
    for year in sorted(years):
        holidays = sum(1 for r in rows if r.date.year == year and r.kind == DayKind.HOLIDAY)
        workdays = sum(1 for r in rows if r.date.year == year and r.kind == DayKind.WORKDAY)
        note = f"放假 {holidays} 天，调休上班 {workdays} 天"
        covered = existing.get(year)
        if covered is None:
            new.append(CalendarYear(year=year, source=source, loaded_at=now, note=note))
        elif year in changed:
            covered.source, covered.loaded_at, covered.note = source, now, note
            touched.append(covered)
    CalendarYear.objects.bulk_create(new)
    CalendarYear.objects.bulk_update(touched, ["source", "loaded_at", "note"])
    return [y.year for y in new]


def _audit(actor: User | None, result: ImportResult) -> None:
    counts = {k: getattr(result, k) for k in ("created", "updated", "rejected", "covered")}
    audit_record(
        actor=actor,
        source="import",
        events=[
            Audit(
                "import",
                "calendar_year",
                result.year or "",
                changes=counts,
                summary=f"导入 {result.year} 年法定节假日安排（{result.source}）",
            )
        ],
    )

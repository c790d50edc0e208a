"""Reporting periods: ``2024Q3`` (quarter), ``2024-07`` (month) or ``2024`` (year)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^((?:19|20)\d{2})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$")  # 1900–2099


class PeriodError(ValueError):
    """Not a period this module understands."""


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive: stocks are taken on this day

    @property
    def year_start(self) -> dt.date:
        """First day of the year to date that flows accumulate over."""
        return self.end.replace(month=1, day=1)

    def provisional(self, today: dt.date) -> bool:
        """A period not yet over on ``today`` (its last day included) is provisional."""
        return today <= self.end


def parse_period(text: str) -> Period:
    """``2024Q3`` → 2024-07-01 … 2024-09-30; ``2024-07`` → July; ``2024`` → the year."""
    hit = _PATTERN.match(text.strip().upper())
    if not hit:
        raise PeriodError(f"period {text!r}: expected 2024Q3, 2024-07 or 2024")
    year, quarter, month = int(hit[1]), hit[2], hit[3]
    if quarter:
        first, last = 3 * int(quarter) - 2, 3 * int(quarter)
        label = f"{year}Q{quarter}"
    elif month:
        first = last = int(month)
        label = f"{year}-{month}"
    else:
        first, last, label = 1, 12, str(year)
    return Period(label, dt.date(year, first, 1), _month_end(year, last))


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_kind(label: str) -> str:
    """``quarter``, ``month`` or ``year``."""
    p = parse_period(label).label
    return "quarter" if "Q" in p else "month" if "-" in p else "year"


def previous_period(label: str) -> str:
    """The period of the same kind just before: 2024Q1 → 2023Q4, 2024-01 → 2023-12,
    2024 → 2023 (上期)."""
    p = parse_period(label)
    day = p.start - dt.timedelta(days=1)
    kind = period_kind(p.label)
    if kind == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}" if kind == "month" else str(day.year)


def year_ago(label: str) -> str:
    """The same period a year earlier: 2024Q3 → 2023Q3 (上年同期)."""
    p = parse_period(label)
    return str(p.end.year - 1) + p.label[4:]

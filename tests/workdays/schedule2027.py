"""A made-up 2027 schedule in the import format (the real notice is not out yet)."""

from __future__ import annotations

import datetime as dt


def _span(first: str, last: str, mark: str, name: str) -> list[list[str]]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [[(a + dt.timedelta(days=i)).isoformat(), mark, name] for i in range((b - a).days + 1)]


ROWS_2027: list[list[str]] = [
    *_span("2027-01-01", "2027-01-03", "休", "元旦"),
    ["2027-01-31", "班", "春节"],  # Sunday
    *_span("2027-02-06", "2027-02-12", "休", "春节"),
    ["2027-02-20", "班", "春节"],  # Saturday
    ["2027-09-26", "班", "国庆节"],  # Sunday
    *_span("2027-10-01", "2027-10-07", "休", "国庆节"),
    ["2027-10-09", "班", "国庆节"],  # Saturday
]

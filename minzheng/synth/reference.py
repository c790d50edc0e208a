"""Reference data for the generator: counties, townships and retired county codes.

Read straight from the CSV files shipped in ``minzheng/divisions/data`` (never the
database), cached per process. Standard library only.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "divisions" / "data"


@dataclass(frozen=True)
class County:
    code: str  # 6 digits
    name: str
    townships: tuple[tuple[str, str], ...]  # (12-digit code, name)

    @property
    def district(self) -> bool:
        """A municipal district (市辖区): more urban than a county or county-level city."""
        return self.name.endswith("区")


@dataclass(frozen=True)
class Retired:
    code: str  # 6-digit county code no longer in use
    name: str
    year: int  # last year the code was changed away
    successor: str  # current 6-digit county it ended up in, "" if unknown

    @property
    def prefecture(self) -> str:
        """4-digit prefecture the code belongs to today (or belonged to)."""
        return (self.successor or self.code)[:4]


@lru_cache(maxsize=1)
def _divisions() -> tuple[dict[str, str], dict[str, str]]:
    """(every current 6-digit code → name, current county codes → name)."""
    every: dict[str, str] = {}
    counties: dict[str, str] = {}
    with open(DATA_DIR / "divisions.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            every[row["code"][:6]] = row["name"]
            if row["level"] == "3":
                counties[row["code"][:6]] = row["name"]
    return every, counties


@lru_cache(maxsize=1)
def _townships() -> dict[str, tuple[tuple[str, str], ...]]:
    """County code (6 digits) → its townships, in code order."""
    out: dict[str, list[tuple[str, str]]] = {}
    with gzip.open(DATA_DIR / "townships.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["parent_code"][:6], []).append((row["code"], row["name"]))
    return {k: tuple(sorted(v)) for k, v in out.items()}


def province_counties(province: str) -> list[str]:
    """Every current county of ``province`` that has townships, in code order."""
    _, counties = _divisions()
    towns = _townships()
    return sorted(c for c in counties if c.startswith(province) and towns.get(c))


def county(code: str) -> County:
    """The current county ``code`` with its townships; ``ValueError`` if unknown or empty."""
    _, counties = _divisions()
    if code not in counties:
        raise ValueError(f"not a current county code: {code!r}")
    towns = _townships().get(code)
    if not towns:
        raise ValueError(f"county {code} ({counties[code]}) has no township data")
    return County(code, counties[code], towns)


@lru_cache(maxsize=8)
def retired_codes(province: str) -> tuple[Retired, ...]:
    """County codes of ``province`` that were retired (old codes not in use any more)."""
    every, counties = _divisions()
    latest: dict[str, dict[str, str]] = {}
    with open(DATA_DIR / "changes.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            old = row["old_code"]
            if row["level"] != "3" or not old.startswith(province) or old in every:
                continue
            if old not in latest or int(row["year"]) >= int(latest[old]["year"]):
                latest[old] = row
    out = []
    for old, row in sorted(latest.items()):
        succ = _successor(old, latest, counties)
        if succ and not succ.startswith(province):
            continue  # moved to another province (e.g. Hainan in 1988)
        out.append(Retired(old, row["old_name"], int(row["year"]), succ))
    return tuple(out)


def _successor(code: str, latest: dict[str, dict[str, str]], counties: dict[str, str]) -> str:
    """Follow ``new_code`` links from a retired code to a current county ("" if none)."""
    for _ in range(12):
        new = latest[code]["new_code"]
        if new in counties:
            return new
        if not new or new == code or new not in latest:
            return ""
        code = new
    return ""

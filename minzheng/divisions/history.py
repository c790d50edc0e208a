"""Pure functions over the division change log: which retired code went where."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KIND_BY_LABEL = {
    "更名": "rename",
    "同名改码": "recode",
    "码位改派": "recode",
    "新设": "create",
    "撤销": "abolish",
    "撤县设市": "upgrade",
    "撤县设区": "upgrade",
    "撤地设市": "upgrade",
    "撤市设区": "upgrade",
    "撤区设区": "upgrade",
    "撤旗设区": "upgrade",
    "划转": "transfer",
}


@dataclass(frozen=True)
class Change:
    year: int
    label: str
    level: int
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    doc_no: str = ""

    @property
    def kind(self) -> str:
        return KIND_BY_LABEL.get(self.label, "other")


@dataclass(frozen=True)
class Retired:
    """A code no longer in force: its last name, level, last year, and today's successor."""

    code: str
    name: str
    level: int
    last_year: int
    successor: str | None
    inferred: bool  # successor guessed from the code's parent, not from an event


def _ancestors(code6: str) -> list[str]:
    return [code6[:4] + "00", code6[:2] + "0000"]


def _follow(code: str, edges: dict[str, list[tuple[int, str]]], current: set[str]) -> str | None:
    seen: set[str] = set()
    c = code
    while c not in current:
        if c in seen or c not in edges:
            return None
        seen.add(c)
        c = max(edges[c])[1]  # the latest move out of this code
    return c


def retired_codes(changes: Iterable[Change], current: set[str]) -> dict[str, Retired]:
    """Every code named in ``changes`` that is not current, with its successor today."""
    edges: dict[str, list[tuple[int, str]]] = {}
    last: dict[str, tuple[int, str, int]] = {}
    for ch in changes:
        if ch.old_code:
            if ch.new_code and ch.new_code != ch.old_code:
                edges.setdefault(ch.old_code, []).append((ch.year, ch.new_code))
            prev = last.get(ch.old_code)
            if prev is None or ch.year >= prev[0]:
                last[ch.old_code] = (ch.year, ch.old_name, ch.level)
        if ch.new_code and ch.new_code not in last:
            last[ch.new_code] = (ch.year, ch.new_name, ch.level)
    out: dict[str, Retired] = {}
    for code, (year, name, level) in last.items():
        if code in current:
            continue
        succ = _follow(code, edges, current)
        inferred = False
        if succ is None:
            succ = next((a for a in _ancestors(code) if a in current and a != code), None)
            inferred = succ is not None
        out[code] = Retired(code, name, level, year, succ, inferred)
    return out


def resolve_code(
    code12: str, current: Mapping[str, object], retired: Mapping[str, str]
) -> tuple[str, bool] | None:
    """The current 12-digit code for ``code12``, and whether a retired code was followed.

    ``retired`` maps a retired code to its successor's current code. A code under a
    retired unit (a township of a re-coded county) keeps its own digits under the
    successor when that exists there, else it resolves to the successor itself.
    """
    if code12 in current:
        return code12, False
    for n in (12, 9, 6, 4, 2):
        prefix = code12[:n].ljust(12, "0")
        if prefix in retired:
            succ = retired[prefix]
            moved = succ[:n] + code12[n:]
            return (moved if moved in current else succ), True
    return None

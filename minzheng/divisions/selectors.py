"""Reading divisions: resolve a code (current or retired) to the division in force today."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from minzheng.divisions.history import resolve_code
from minzheng.divisions.models import Division


def normalise_code(code: str) -> str:
    """A 2/4/6/9/12-digit code padded to the 12-digit statistical form."""
    code = code.strip()
    if not (code.isascii() and code.isdigit()) or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(code)
    return code.ljust(12, "0")


@dataclass(frozen=True, eq=False)
class CodeMaps:
    """Current codes (→ pk) and retired codes (→ their successor's current code)."""

    current: dict[str, int]
    retired: dict[str, str]

    def resolve(self, code: str) -> tuple[int, bool] | None:
        """(division pk, was_retired) for a 2–12-digit code, or ``None`` if unknown."""
        try:
            code12 = normalise_code(code)
        except ValueError:
            return None
        found = resolve_code(code12, self.current, self.retired)
        if found is None:
            return None
        return self.current[found[0]], found[1]


def _stamp() -> tuple:
    """Changes whenever divisions are loaded, re-coded, renamed or merged (and on rollback)."""
    from django.db.models import Count, Max

    from minzheng.divisions.models import DivisionChange

    d = Division.objects.aggregate(n=Count("pk"), top=Max("pk"))
    c = DivisionChange.objects.aggregate(top=Max("pk"), n=Count("pk"))
    return d["n"], d["top"], c["top"], c["n"]


@lru_cache(maxsize=2)
def _maps(stamp: tuple) -> CodeMaps:
    rows = list(Division.objects.values_list("pk", "code", "valid_to", "successor_id"))
    current = {code: pk for pk, code, valid_to, _ in rows if valid_to is None}
    code_of = {pk: code for pk, code, _, _ in rows}
    succ_of: dict[int, int | None] = {pk: succ for pk, _, _, succ in rows}
    current_pks = set(current.values())
    retired: dict[str, str] = {}
    for _pk, code, valid_to, first in rows:
        succ: int | None = first
        seen = set()
        while succ is not None and succ not in current_pks and succ not in seen:
            seen.add(succ)
            succ = succ_of.get(succ)
        if valid_to is not None and succ in current_pks and code not in current:
            retired[code] = code_of[succ]
    return CodeMaps(current, retired)


def code_maps() -> CodeMaps:
    """Maps of every division code, cached until the divisions change.

    The cache key is read from the database, so another process's re-coding (or a
    rolled-back one) is seen on the next call.
    """
    return _maps(_stamp())


@dataclass(frozen=True)
class Resolution:
    division: Division
    retired_code: str | None = None  # the retired code that was asked for, if any

    @property
    def note(self) -> str:
        if not self.retired_code:
            return ""
        d = self.division
        return f"区划代码 {self.retired_code} 已撤销，已对应到 {d.name}（{d.short_code}）"

    @property
    def note_en(self) -> str:
        if not self.retired_code:
            return ""
        return (
            f"division code {self.retired_code} is retired; "
            f"mapped to its successor {self.division.short_code}"
        )


def division_resolve(code: str) -> Resolution | None:
    """The division in force today for ``code``; a retired code follows its successors."""
    found = code_maps().resolve(code)
    if found is None:
        return None
    pk, retired = found
    return Resolution(Division.objects.get(pk=pk), retired_code=code.strip() if retired else None)


def known_address_codes() -> frozenset[str]:
    """Every 6-digit code that has ever been in force (current and retired)."""
    return _address_codes(code_maps())


@lru_cache(maxsize=2)
def _address_codes(maps: CodeMaps) -> frozenset[str]:
    return frozenset(c[:6] for c in (*maps.current, *maps.retired) if c[6:] == "000000")


def invalidate_cache() -> None:
    """Forget cached code maps (the stamp already notices changes; this frees memory)."""
    _maps.cache_clear()
    _address_codes.cache_clear()

"""Reading divisions: resolve a code (current or retired) to the division in force today."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from minzheng.divisions.models import Division


def normalise_code(code: str) -> str:
    """A 2/4/6/9/12-digit code padded to the 12-digit statistical form."""
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(code)
    return code.ljust(12, "0")


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
        d = self.division
        return f"division code {self.retired_code} is retired; mapped to its successor {d.short_code}"


def division_resolve(code: str) -> Resolution | None:
    """The division in force today for ``code``; a retired code follows its successors."""
    try:
        code12 = normalise_code(code)
    except ValueError:
        return None
    current = Division.objects.current().filter(code=code12).first()
    if current is not None:
        return Resolution(current)
    retired = Division.objects.filter(code=code12, valid_to__isnull=False).order_by("-valid_to")
    for row in retired:
        succ = row.successor
        seen = set()
        while succ is not None and not succ.is_current and succ.pk not in seen:
            seen.add(succ.pk)
            succ = succ.successor
        if succ is not None and succ.is_current:
            return Resolution(succ, retired_code=code.strip())
    return None


@lru_cache(maxsize=1)
def _known_codes_cached(version: int) -> frozenset[str]:
    codes = Division.objects.filter(level__lte=3).values_list("code", flat=True)
    return frozenset(c[:6] for c in codes)


_version = 0


def known_address_codes() -> frozenset[str]:
    """Every 6-digit code that has ever been in force (current and retired)."""
    return _known_codes_cached(_version)


def invalidate_cache() -> None:
    """Forget cached code sets after divisions change."""
    global _version
    _version += 1
    _known_codes_cached.cache_clear()

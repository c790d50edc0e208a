"""The figures of one report: every catalogue indicator of a division and period, with the
previous period beside it — read from snapshots (computed) and data sets (entered).

One :class:`ReportTable` feeds every renderer (xlsx, pdf, md), so the Excel sheet, the
printed form and the narrative always state the same numbers.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from minzheng.core.errors import BilingualError
from minzheng.stats.catalogue import IndicatorDef, catalogue
from minzheng.stats.periods import PeriodError, parse_period, previous_period, year_ago

if TYPE_CHECKING:
    from minzheng.divisions.models import Division
    from minzheng.stats.models import Snapshot

# Levels a snapshot holds (nation 0 … township 4).
SNAPSHOT_LEVELS = range(5)
# Units whose figures are counts of people or households: the cells small-cell protection
# looks at (institutions, beds and money are not about identifiable people).
PERSON_BASES = ("人", "户", "人次")
PCT_STEP = Decimal("0.1")


class ReportError(BilingualError):
    """A report cannot be made as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class ReportRow:
    """One indicator of the report; values in the report unit (万人, 亿元 …), None = no figure.

    ``previous`` is the previous period (上期: quarter, month or year before); ``year_ago``
    the same period a year earlier, which year-to-date flows are compared with in prose.
    ``hidden`` names the cells withheld by small-cell protection (their values are None).
    """

    code: str
    section: str
    zh: str
    en: str
    unit: str
    kind: str
    scale: int
    source: str  # "computed" | "entered"
    value: Decimal | None
    previous: Decimal | None = None
    year_ago: Decimal | None = None
    provisional: bool = False
    hidden: frozenset[str] = frozenset()

    @property
    def change(self) -> Decimal | None:
        """本期 − 上期 in the report unit."""
        if self.value is None or self.previous is None or "change" in self.hidden:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> Decimal | None:
        """(本期 − 上期) / 上期 × 100, to 0.1 (half up); None without a positive 上期."""
        if self.change is None or self.previous is None or self.previous <= 0:
            return None
        return (self.change / self.previous * 100).quantize(PCT_STEP, rounding=ROUND_HALF_UP)

    @property
    def base_value(self) -> Decimal | None:
        """The value in base units (persons for 万人), for counts and suppression."""
        return None if self.value is None else self.value * self.scale

    @property
    def person_count(self) -> bool:
        """Whether the figure counts people or households (small-cell protection applies)."""
        from minzheng.stats.catalogue import UNITS

        return self.kind != "ratio" and UNITS[self.unit][0] in PERSON_BASES


@dataclass(frozen=True)
class Section:
    key: str
    zh: str
    en: str
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class ChildTable:
    """The count indicators by subordinate division (base units), with the 合计 row last.

    ``cells[i][j]`` is division ``i``'s figure of ``codes[j]``; the last row is the
    division itself, whose figures the children add up to (the snapshot's roll-up check).
    ``hidden`` holds (row, column) pairs withheld by small-cell protection.
    """

    codes: tuple[str, ...]
    divisions: tuple[tuple[str, str], ...]  # (code prefix, name); the last is 合计
    cells: tuple[tuple[int | None, ...], ...]
    hidden: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class ReportTable:
    """Everything a report states for one division and period."""

    period: str
    division_code: str  # code prefix at the division's level ("" = nation)
    division_name: str
    level: int
    sections: tuple[Section, ...]
    snapshot_version: int
    code_version: str
    provisional: bool
    registry_as_of: str
    children: ChildTable | None = None
    public: bool = False

    @property
    def rows(self) -> list[ReportRow]:
        return [r for s in self.sections for r in s.rows]

    def row(self, code: str) -> ReportRow:
        return next(r for r in self.rows if r.code == code)

    def replace(self, **changes: Any) -> ReportTable:
        return dataclasses.replace(self, **changes)


# --- periods -------------------------------------------------------------------------------


# --- the table -----------------------------------------------------------------------------


def report_table(period: str, division_code: str = "", actor: object = None) -> ReportTable:
    """Every catalogue indicator of ``division_code`` in ``period``, grouped by section.

    Computed values come from the newest snapshot of the period, entered ones from the
    aggregate data sets. ``actor`` None is the system (everything); a user only gets
    divisions inside its jurisdiction. Raises :class:`ReportError` with the reason.
    """
    from minzheng.stats.selectors import latest

    try:
        label = parse_period(period).label
    except PeriodError as exc:
        raise ReportError(
            "period", f"统计期 {period!r} 格式不对，应为 2024Q3、2024-07 或 2024", str(exc)
        ) from exc
    division = resolve_division(division_code, actor)
    level, prefix = division.level, division.prefix
    snap = latest(label)
    if snap is None:
        raise ReportError(
            "no_snapshot",
            f"统计期 {label} 尚无统计快照，请先运行 minzheng stats snapshot --period {label}",
            f"period {label} has no statistics snapshot yet; "
            f"run: minzheng stats snapshot --period {label}",
        )
    current = _figures(snap, label, level, prefix)
    before = _figures(latest(previous_period(label)), previous_period(label), level, prefix)
    ago = _figures(latest(year_ago(label)), year_ago(label), level, prefix)
    sections = _sections(current, before, ago, snap.provisional)
    return ReportTable(
        period=label,
        division_code=prefix,
        division_name=division.name,
        level=level,
        sections=sections,
        snapshot_version=snap.version,
        code_version=snap.code_version,
        provisional=snap.provisional,
        registry_as_of=snap.registry_as_of.isoformat(),
        children=child_table(snap, level, prefix),
    )


def resolve_division(code: str, actor: object = None) -> Division:
    """The current division of a 2–12 digit code ("" = nation), inside ``actor``'s reach."""
    from minzheng.accounts.scope import covers
    from minzheng.divisions.models import Division

    code = (code or "").strip()
    if not code.isdigit() and code:
        raise ReportError(
            "division", f"区划代码 {code!r} 应为数字", f"division code {code!r}: digits only"
        )
    division = Division.objects.current().filter(code=code.ljust(12, "0")).first()
    if division is None:
        raise ReportError(
            "division",
            f"区划代码 {code} 不存在或已撤销",
            f"division code {code} does not exist or has been retired",
        )
    if division.level not in SNAPSHOT_LEVELS:
        raise ReportError(
            "division",
            f"{division.name}是村级区划，统计报表只到乡镇级",
            f"{division.code} is a village; statistics reports go down to township level",
        )
    if actor is not None and not covers(actor, division):
        raise ReportError(
            "jurisdiction",
            f"{division.name}不在您的管辖范围内",
            f"division {division.prefix} ({division.name}) is outside your jurisdiction",
        )
    return division


Figures = dict[str, tuple[Decimal | None, str]]  # code → (value in report unit, source)


def _figures(snap: Snapshot | None, label: str, level: int, prefix: str) -> Figures:
    """Every indicator's value at one division: snapshot totals over dims, then entered."""
    out: Figures = {}
    if snap is not None:
        out.update(computed_values(snap, level, prefix))
    cat = catalogue()
    for (code, lvl, where), value in entered(label, prefix).items():
        ind = cat.indicators.get(code)
        if ind is not None and ind.entered and lvl == level and where == prefix:
            out[code] = (_report_unit(ind, value), "entered")
    return out


def computed_values(snap: Snapshot, level: int, prefix: str) -> Figures:
    """Computed indicators at one division in report units, totalled over dimensions.

    A figure kept by dimension (sex, layer …) is the sum of its rows; a ratio is
    recomputed from its summed parts, never averaged.
    """
    from minzheng.stats.compute import ratio_value
    from minzheng.stats.models import SnapshotValue

    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # value, num, den
    seen: set[str] = set()
    rows = SnapshotValue.objects.filter(snapshot=snap, level=level, division_code=prefix)
    for code, value, num, den in rows.values_list("indicator", "value", "numerator", "denominator"):
        seen.add(code)
        acc = sums[code]
        acc[0] += int(value or 0)
        acc[1] += int(num or 0)
        acc[2] += int(den or 0)
    out: Figures = {}
    for ind in catalogue().computed():
        if ind.code not in seen:
            # Computed but no row: nobody counted here (a true zero); ratios have no value.
            out[ind.code] = (None if ind.kind == "ratio" else Decimal(0), "computed")
        elif ind.kind == "ratio":
            value, num, den = sums[ind.code]
            out[ind.code] = (ratio_value(num, den, ind.factor), "computed")
        else:
            out[ind.code] = (_report_unit(ind, Decimal(sums[ind.code][0])), "computed")
    return out


def entered(period: str, prefix: str) -> dict[tuple[str, int, str], Decimal]:
    """Entered (aggregate-only) values from the data sets; nothing while that app is absent."""
    try:
        from minzheng.stats.datasets import entered_values
    except ImportError:
        return {}
    return dict(entered_values(period, prefix))


def _report_unit(ind: IndicatorDef, value: Decimal) -> Decimal:
    """A stored base-unit value in the report unit (persons → 万人); ratios are stored so."""
    if ind.kind == "ratio":
        return value
    return Decimal(value) / ind.scale if ind.scale != 1 else Decimal(value)


def _sections(current: Figures, before: Figures, ago: Figures, provisional: bool) -> tuple:
    cat = catalogue()
    grouped: dict[str, list[ReportRow]] = {key: [] for key in cat.sections}
    for ind in cat.indicators.values():
        value, source = current.get(ind.code, (None, "entered" if ind.entered else "computed"))
        grouped[ind.section].append(
            ReportRow(
                code=ind.code,
                section=ind.section,
                zh=ind.zh,
                en=ind.en,
                unit=ind.unit,
                kind=ind.kind,
                scale=ind.scale,
                source=source,
                value=value,
                previous=before.get(ind.code, (None, ""))[0],
                year_ago=ago.get(ind.code, (None, ""))[0],
                provisional=provisional,
            )
        )
    return tuple(
        Section(key, names["zh"], names["en"], tuple(grouped[key]))
        for key, names in cat.sections.items()
        if grouped[key]
    )


# --- the breakdown by subordinate division -------------------------------------------------


def child_codes() -> tuple[str, ...]:
    """Computed counts of people or households: the columns of the breakdown."""
    from minzheng.stats.catalogue import UNITS

    return tuple(
        i.code for i in catalogue().computed() if i.additive and UNITS[i.unit][0] in PERSON_BASES
    )


def child_table(snap: Snapshot, level: int, prefix: str) -> ChildTable | None:
    """One row per subordinate division (in the snapshot) plus the division's 合计 row."""
    from minzheng.stats.models import SnapshotValue

    if level + 1 not in SNAPSHOT_LEVELS:
        return None
    codes = child_codes()
    values: dict[tuple[str, str], int] = defaultdict(int)
    rows = SnapshotValue.objects.filter(
        snapshot=snap, indicator__in=codes, level__in=(level, level + 1)
    ).filter(division_code__startswith=prefix)
    for code, lvl, where, value in rows.values_list("indicator", "level", "division_code", "value"):
        if lvl == level and where != prefix:
            continue
        values[(where if lvl == level + 1 else "", code)] += int(value or 0)
    kids = sorted({w for w, _ in values if w})
    if not kids:
        return None
    names = _names(kids, level + 1)
    cells = tuple(tuple(values.get((k, c), 0) for c in codes) for k in [*kids, ""])
    return ChildTable(
        codes=codes,
        divisions=(*((k, names.get(k, k)) for k in kids), (prefix, "合计")),
        cells=cells,
    )


def _names(prefixes: Iterable[str], level: int) -> dict[str, str]:
    """Code prefix → name, the current division's name first, else the retired one's."""
    from minzheng.divisions.models import Division, code_prefix

    wanted = [p.ljust(12, "0") for p in prefixes]
    out: dict[str, str] = {}
    found = Division.objects.filter(code__in=wanted, level=level)
    for code, name, retired in found.values_list("code", "name", "valid_to"):
        key = code_prefix(code, level)
        if retired is None or key not in out:
            out[key] = name
    return out

"""Reads behind the statistics dashboards and the big screen, from snapshots only.

Every figure here comes from :class:`~minzheng.stats.models.SnapshotValue` rows read
through :func:`minzheng.stats.selectors.values_for` (the actor's jurisdiction), never from
person rows, so a page costs a handful of small indexed queries at any registry size.

A division is named by its code prefix at its level ("" nation, 2 province, 4 prefecture,
6 county, 9 township digits), as in the snapshot. A figure with dimensions (``by``) has one
row per dimension combination; the dashboards show the division's total over them (a sum
for stocks and flows; for ratios the ratio of the summed parts, never an average).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from minzheng.accounts.scope import scope_of
from minzheng.stats.catalogue import UNITS, IndicatorDef, catalogue
from minzheng.stats.compute import PREFIX, ratio_value
from minzheng.stats.models import Snapshot
from minzheng.stats.periods import parse_period, period_kind
from minzheng.stats.selectors import latest, values_for

LEVEL_OF = {digits: level for level, digits in PREFIX.items()}  # code length → level
DIGITS = re.compile(r"^\d*$")
TREND_PERIODS = 8
# Base units whose figures count people or households: a cell of these links to the list
# of the people behind it (person-times and money do not: no list has that length).
PEOPLE_UNITS = frozenset({"人", "户"})
COUNT_UNITS = PEOPLE_UNITS | {"人次"}  # counts of people a public table may show when not small
# Headline figures of the big screen: (key, indicator codes added together, unit).
HEADLINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dibao", ("SA01", "SA11")),
    ("dibao_urban", ("SA01",)),
    ("dibao_rural", ("SA11",)),
    ("tekun", ("SA21", "SA22")),
    ("temporary", ("SA31",)),
    ("monitored", ("MN01",)),
)
LAYER_INDICATOR = "MN10"
UNIT_EN = {
    "人": "persons",
    "户": "households",
    "人次": "person-times",
    "分": "fen",
    "元": "yuan",
    "个": "units",
    "张": "beds",
    "对": "couples",
    "具": "bodies",
    "件": "cases",
    "小时": "hours",
    "%": "%",
    "元/人·月": "yuan per person per month",
    "元/人·年": "yuan per person per year",
}
DIM_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "urban": {"true": ("城市", "urban"), "false": ("农村", "rural")},
    "sex": {"1": ("男", "male"), "2": ("女", "female"), "9": ("未说明", "unstated")},
    "age_band": {"unknown": ("年龄不详", "age unknown")},
    "layer": {
        "dibao": ("低保对象", "dibao recipients"),
        "tekun": ("特困人员", "tekun recipients"),
        "fanpin": ("防止返贫监测对象", "persons monitored against relapse into poverty"),
        "bianyuan": ("低保边缘家庭成员", "members of near-dibao households"),
        "gangxing": ("刚性支出困难家庭成员", "members of households with rigid expenditure"),
        "other": ("其他困难人员", "other persons in difficulty"),
    },
}


# --- divisions and jurisdiction ---------------------------------------------------------
def level_of(code: str) -> int | None:
    """Snapshot level of a division code prefix ("" → 0, "44" → 1 …), None if malformed."""
    if not DIGITS.match(code or ""):
        return None
    return LEVEL_OF.get(len(code or ""))


def home_division(actor: object) -> str | None:
    """The code prefix of ``actor``'s own jurisdiction ("" = the nation), None if none."""
    scope = scope_of(actor)
    if scope.nothing:
        return None
    return "" if scope.everything else scope.prefix or ""


def may_see(actor: object, code: str) -> bool:
    """Whether ``code`` is a snapshot division inside ``actor``'s jurisdiction."""
    home = home_division(actor)
    return home is not None and level_of(code) is not None and code.startswith(home)


def ancestors(home: str, code: str) -> list[str]:
    """Division prefixes from ``home`` down to ``code`` inclusive (the breadcrumb)."""
    return [code[:d] for d in sorted(PREFIX.values()) if len(home) <= d <= len(code)]


def division_names(
    codes: Iterable[str], ids: dict[str, int | None] | None = None
) -> dict[str, str]:
    """Code prefix → name: of the division the snapshot stored (``ids``), else the current
    division with that code, else the code itself."""
    from minzheng.divisions.models import Division

    codes = set(codes)
    ids = {c: i for c, i in (ids or {}).items() if i is not None and c in codes}
    by_pk = dict(Division.objects.filter(pk__in=set(ids.values())).values_list("pk", "name"))
    names = {c: by_pk[i] for c, i in ids.items() if i in by_pk}
    wanted = {c.ljust(12, "0"): c for c in codes if c and c not in names}
    current = Division.objects.current().filter(code__in=wanted)
    names.update({wanted[code]: name for code, name in current.values_list("code", "name")})
    return {c: names.get(c, c) for c in codes}


# --- periods -------------------------------------------------------------------------------
def periods() -> list[str]:
    """Periods with a snapshot, newest period end first."""
    rows = Snapshot.objects.values_list("period", "period_end").distinct()
    return [p for p, _ in sorted(set(rows), key=lambda r: (r[1], r[0]), reverse=True)]


def trend_snapshots(period: str, n: int = TREND_PERIODS) -> list[Snapshot]:
    """Latest version of each of the last ``n`` periods of ``period``'s kind up to it."""
    end = parse_period(period).end
    newest: dict[str, Snapshot] = {}
    for snap in Snapshot.objects.filter(period_end__lte=end).order_by("period_end", "version"):
        if period_kind(snap.period) == period_kind(period):
            newest[snap.period] = snap  # ordered by version: the last one wins
    return sorted(newest.values(), key=lambda s: s.period_end)[-n:]


def at(division: str) -> dict[str, str]:
    """``division_code = division``, written as a closed range: beside the ``level >= n``
    that ``values_for`` adds for a regional actor, SQLite's planner takes the level range
    on the unique index and reads every township of the indicator (15 ms instead of
    0.2 ms at national size); a range on the code keeps it on (…, level=, code) seeks."""
    return {"division_code__gte": division, "division_code__lte": division}


# --- figures -------------------------------------------------------------------------------
Raw = tuple[Decimal | None, int | None, int | None]  # value, numerator, denominator


def total(ind: IndicatorDef, rows: Sequence[Raw]) -> Decimal | None:
    """A division's figure summed over its dimension rows (ratios: from summed parts)."""
    if not rows:
        return Decimal(0) if ind.additive else None
    if ind.additive:
        return sum((v or Decimal(0) for v, _, _ in rows), Decimal(0))
    if len(rows) == 1:
        return rows[0][0]
    if any(n is None or d is None for _, n, d in rows):
        return None
    return ratio_value(sum(n or 0 for _, n, _ in rows), sum(d or 0 for _, _, d in rows),
                       ind.factor)  # fmt: skip


def figures(
    actor: object, snapshot: Snapshot | None, division: str, codes: Iterable[str]
) -> dict[str, Decimal | None]:
    """``code → figure`` of ``division`` (totals over dimensions), inside the jurisdiction:
    computed ones from the snapshot, entered ones from the data sets of its period."""
    cat = catalogue().indicators
    codes = [c for c in codes if c in cat]
    level = level_of(division)
    raw: dict[str, list[Raw]] = defaultdict(list)
    if snapshot is not None and level is not None:
        qs = values_for(actor, snapshot, level=level).filter(indicator__in=codes, **at(division))
        for code, *r in qs.values_list("indicator", "value", "numerator", "denominator"):
            raw[code].append(tuple(r))  # type: ignore[arg-type]
    out = {c: total(cat[c], raw[c]) for c in codes}
    entered = [c for c in codes if cat[c].entered]
    if entered and snapshot is not None and level is not None and may_see(actor, division):
        from minzheng.stats.datasets import entered_values

        values = entered_values(snapshot.period, prefix=division)
        out.update({c: values.get((c, level, division)) for c in entered})
    return out


def series(
    actor: object, ind: IndicatorDef, division: str, snapshots: Sequence[Snapshot]
) -> list[tuple[str, Decimal | None]]:
    """``(period, figure)`` of ``division`` for each snapshot, oldest first."""
    return [(s.period, figures(actor, s, division, [ind.code])[ind.code]) for s in snapshots]


def breakdown(
    actor: object, snapshot: Snapshot | None, division: str, ind: IndicatorDef
) -> list[tuple[dict[str, Any], str, Decimal | None]]:
    """The dimension rows of one figure: ``(dims, dims_key, value)`` sorted by key."""
    level = level_of(division)
    if snapshot is None or level is None or not ind.dimensions:
        return []
    qs = values_for(actor, snapshot, indicator=ind.code, level=level).filter(**at(division))
    return sorted(qs.values_list("dims", "dims_key", "value"), key=lambda r: r[1])


@dataclass
class ChildRow:
    code: str
    name: str
    values: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class ChildTable:
    """One row per subordinate division with data, and the 合计 row (the parent's figure)."""

    division: str
    level: int
    indicators: list[IndicatorDef]
    rows: list[ChildRow]
    total: ChildRow


def near(division: str) -> dict[str, Any]:
    """Filter keywords for the figures of ``division`` and its children (next level down).

    Children of the upper levels are looked up as the list of every code they could have
    (100): each is a seek on the (snapshot, indicator, division_code) index, where a prefix
    LIKE (not indexable on SQLite) or a range (spanning every level below) would read the
    whole subtree. A county's townships are a range: its subtree is just them.
    """
    level = level_of(division)
    assert level is not None, division
    if level + 1 not in PREFIX:
        return {"division_code": division}
    width = PREFIX[level + 1] - len(division)
    if width <= 2:
        return {"division_code__in": [division, *(f"{division}{n:0{width}d}" for n in range(100))]}
    return {
        "division_code__gte": division,
        "division_code__lt": division + ":",  # the character after "9"
        "level__in": [level, level + 1],
    }


def children(
    actor: object, snapshot: Snapshot | None, division: str, indicators: Sequence[IndicatorDef]
) -> ChildTable:
    """The figures of ``division``'s children (next level down) and its own, as the total.

    The 合计 row is the parent's stored figure, not the sum of the rows, so that a broken
    roll-up would show; :func:`minzheng.stats.compute.check_rollup` keeps them equal.
    """
    level = level_of(division)
    assert level is not None, division
    codes = [i.code for i in indicators]
    raw: dict[tuple[str, str], list[Raw]] = defaultdict(list)
    ids: dict[str, int | None] = {}
    if snapshot is not None:
        qs = values_for(actor, snapshot).filter(indicator__in=codes, **near(division))
        for code, div, pk, *r in qs.values_list(
            "indicator", "division_code", "division_id", "value", "numerator", "denominator"
        ):
            raw[(div, code)].append(tuple(r))  # type: ignore[arg-type]
            ids[div] = pk
    kids = sorted({d for d, _ in raw if d != division})
    names = division_names([division, *kids], ids)

    def row(code: str) -> ChildRow:
        return ChildRow(
            code, names[code], {i.code: total(i, raw[(code, i.code)]) for i in indicators}
        )

    return ChildTable(division, level, list(indicators), [row(k) for k in kids], row(division))


def protect_small_cells(table: ChildTable, threshold: int | None = None) -> ChildTable:
    """``table`` fit for publication (the public CSV): only its counts of people stay, and
    the small ones are withheld with their complements (:mod:`minzheng.stats.suppress`;
    the 合计 row is the group total). Money and ratios are left out: a ratio beside a
    withheld count could give it back."""
    from minzheng.stats.suppress import suppress_table

    counts = [i for i in table.indicators if i.additive and UNITS[i.unit][0] in COUNT_UNITS]
    rows = [*table.rows, table.total]
    cells = [
        [None if r.values.get(i.code) is None else int(r.values[i.code] or 0) for i in counts]
        for r in rows
    ]
    safe = suppress_table(cells, totals_row=True, totals_col=False, threshold=threshold)
    out = [
        ChildRow(r.code, r.name, dict(zip([i.code for i in counts], line, strict=True)))  # type: ignore[arg-type]
        for r, line in zip(rows, safe, strict=True)
    ]
    return ChildTable(table.division, table.level, counts, out[:-1], out[-1])


# --- catalogue helpers ---------------------------------------------------------------------
def section_indicators(section: str) -> list[IndicatorDef]:
    """The catalogue's indicators of ``section``, in catalogue order."""
    return [i for i in catalogue().indicators.values() if i.section == section]


def links_to_people(ind: IndicatorDef) -> bool:
    """Computed person/household counts link to the people behind them."""
    return not ind.entered and ind.additive and UNITS[ind.unit][0] in PEOPLE_UNITS


def base_unit(ind: IndicatorDef) -> str:
    """The unit figures are shown in: the stored base (人 for 万人); ratios their own."""
    return ind.unit if ind.kind == "ratio" else UNITS[ind.unit][0]


def dims_label(dims: dict[str, Any], en: bool) -> str:
    """``{"sex": "1", "age_band": "60+"}`` → "男 · 60+" / "male · 60+"."""
    parts = []
    for key, value in sorted(dims.items()):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        pair = DIM_LABELS.get(key, {}).get(text)
        parts.append(pair[1 if en else 0] if pair else text)
    return " · ".join(parts)


def latest_period() -> str | None:
    found = periods()
    return found[0] if found else None


def snapshot_of(period: str | None) -> Snapshot | None:
    return latest(period) if period else None

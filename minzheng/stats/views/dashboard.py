"""Statistics dashboards: the overview, a page per catalogue section (trend, bars by
subordinate division, tables, drill-down, CSV) and the big screen.

Everything is read from snapshots through :mod:`minzheng.stats.dash`, itself scoped by
``values_for`` to the user's jurisdiction; a division outside it is a 404, as elsewhere.
Only data roles open these pages (``data_required``): the three administrators see no
figures, because at township level a count can point at a person and every count links
to the list of the people behind it.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from minzheng.core.access import AuthedRequest, data_required
from minzheng.stats import dash, narrative
from minzheng.stats.catalogue import IndicatorDef, catalogue
from minzheng.stats.models import Snapshot
from minzheng.stats.periods import previous_period

BIGSCREEN_REFRESH_S = 300


# --- request parameters ----------------------------------------------------------------
def _english() -> bool:
    return (get_language() or "zh").startswith("en")


def _period(request: AuthedRequest) -> tuple[str | None, Snapshot | None]:
    """The chosen period (default: the newest with a snapshot) and its latest version."""
    period = (request.GET.get("period") or "").strip() or dash.latest_period()
    return period, dash.snapshot_of(period)


def _division(request: AuthedRequest) -> tuple[str, str]:
    """(the user's own division prefix, the division asked for); 404 outside it."""
    home = dash.home_division(request.user)
    if home is None:
        raise Http404
    code = (request.GET.get("division") or home).strip()
    if not dash.may_see(request.user, code):
        raise Http404
    return home, code


def _section(key: str) -> dict[str, str]:
    sections = catalogue().sections
    if key not in sections:
        raise Http404
    return sections[key]


# --- presentation ------------------------------------------------------------------------
def _name(obj: IndicatorDef | dict[str, str]) -> str:
    en = _english()
    if isinstance(obj, IndicatorDef):
        return obj.en if en else obj.zh
    return obj["en"] if en else obj["zh"]


def _unit(ind: IndicatorDef) -> str:
    unit = dash.base_unit(ind)
    return dash.UNIT_EN.get(unit, unit) if _english() else unit


def _number(value: Decimal | None) -> float | int | None:
    """A figure for the chart JSON (int when whole)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _text(ind: IndicatorDef, value: Decimal | None) -> str:
    """A table cell: base-unit counts grouped, ratios to one decimal."""
    if value is None:
        return "—"
    if ind.kind == "ratio":
        return f"{value.quantize(Decimal('0.1')):,}"
    return f"{value.quantize(Decimal(1)):,}"


def _change(ind: IndicatorDef, now: Decimal | None, before: Decimal | None) -> str:
    """Against the previous period: +3.2% for counts and sums, points for percentages."""
    if now is None or before is None:
        return "—"
    unit = ind.unit if ind.unit in narrative.UNITS else "个"
    found = narrative.change(now, before, unit)
    if found is None:
        return "—"
    sign = {"up": "+", "down": "-", "flat": ""}[found.direction]
    points = (" pp" if _english() else "个百分点") if found.points else "%"
    return f"{sign}{found.amount}{points}"


def _headline(ind_unit: str, value: Decimal | None) -> str:
    """A big number in the active language: 4223.8万人 / 42.238 million people."""
    if value is None:
        return "—"
    if _english():
        return narrative.format_en(value, ind_unit)
    return narrative.format_zh(value, ind_unit)


def _people_base() -> str | None:
    """The people-behind-a-figure page, if installed (no links otherwise)."""
    try:
        return reverse("stats:people")
    except NoReverseMatch:
        return None


def people_href(base: str | None, ind: IndicatorDef, period: str, division: str, key: str) -> str:
    """The list of the people behind one figure (``dims`` ``{}`` = every dimension value)."""
    if base is None or not dash.links_to_people(ind):
        return ""
    query = {"indicator": ind.code, "period": period, "division": division, "dims": key}
    return f"{base}?{urlencode(query)}"


def _page_href(name: str, key: str | None, **params: str | None) -> str:
    url = reverse(name, args=[key] if key else [])
    return f"{url}?{urlencode({k: v for k, v in params.items() if v is not None})}"


# --- the overview ------------------------------------------------------------------------
@data_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """统计分析: the catalogue's sections with their computed indicators, a period picker."""
    period, snapshot = _period(request)
    _home, division = _division(request)
    cat = catalogue()
    sections = []
    for key, names in cat.sections.items():
        inds = dash.section_indicators(key)
        computed = [i for i in inds if not i.entered]
        sections.append({
            "key": key,
            "name": _name(names),
            "indicators": len(inds),
            "computed": len(computed),
            "href": _page_href("stats:section", key, period=period, division=division),
        })  # fmt: skip
    ctx = {
        "nav": "stats_dashboard",
        "sections": sections,
        "periods": dash.periods(),
        "period": period,
        "snapshot": snapshot,
        "division": division,
        "division_name": dash.division_names([division])[division] or _("全国"),
        "bigscreen_href": _page_href("stats:bigscreen", None, period=period, division=division),
    }
    return render(request, "stats/dashboard.html", ctx)


# --- a section -----------------------------------------------------------------------------
@data_required
def section(request: AuthedRequest, key: str) -> HttpResponse:
    """A section of the quarterly form: trend, bars and table by subordinate division."""
    names = _section(key)
    period, snapshot = _period(request)
    home, division = _division(request)
    inds = dash.section_indicators(key)
    computed = [i for i in inds if not i.entered]
    chosen = _chosen(request, computed)
    previous = dash.snapshot_of(previous_period(snapshot.period)) if snapshot else None
    now = dash.figures(request.user, snapshot, division, [i.code for i in inds])
    before = dash.figures(request.user, previous, division, [i.code for i in inds])
    table = dash.children(request.user, snapshot, division, computed)
    people = _people_base()
    crumbs = _crumbs(key, home, division, period, chosen)
    ctx: dict[str, Any] = {
        "nav": "stats_dashboard",
        "section": {"key": key, "name": _name(names)},
        "sections": [(k, _name(v)) for k, v in catalogue().sections.items()],
        "periods": dash.periods(),
        "period": period,
        "snapshot": snapshot,
        "previous": previous,
        "division": division,
        "crumbs": crumbs,
        "chosen": chosen,
        "chosen_name": _name(chosen) if chosen else "",
        "rows": [
            _indicator_row(i, now, before, chosen, people, period or "", division, key)
            for i in inds
        ],
        "table": _child_table(table, people, period or "", key, chosen),
        "breakdown": _breakdown(request, snapshot, division, chosen, people, period or ""),
        "charts": _charts(request, key, period, division, chosen, table) if snapshot else {},
        "csv_href": _page_href("stats:section_csv", key, period=period, division=division),
    }
    return render(request, "stats/section.html", ctx)


def _chosen(request: AuthedRequest, computed: list[IndicatorDef]) -> IndicatorDef | None:
    wanted = request.GET.get("indicator")
    return next((i for i in computed if i.code == wanted), computed[0] if computed else None)


def _crumbs(
    key: str, home: str, division: str, period: str | None, chosen: IndicatorDef | None
) -> list[dict[str, str]]:
    codes = dash.ancestors(home, division)
    names = dash.division_names(codes)
    code = chosen.code if chosen else None
    return [
        {
            "name": names[c] or _("全国"),
            "href": _page_href("stats:section", key, period=period, division=c, indicator=code),
        }
        for c in codes
    ]


def _indicator_row(
    ind: IndicatorDef,
    now: dict[str, Decimal | None],
    before: dict[str, Decimal | None],
    chosen: IndicatorDef | None,
    people: str | None,
    period: str,
    division: str,
    key: str,
) -> dict[str, Any]:
    value, prev = now.get(ind.code), before.get(ind.code)
    return {
        "code": ind.code,
        "name": _name(ind),
        "unit": _unit(ind),
        "entered": ind.entered,
        "value": _text(ind, value),
        "previous": _text(ind, prev),
        "change": _change(ind, value, prev),
        "people": people_href(people, ind, period, division, "{}") if value else "",
        "chosen": chosen is not None and chosen.code == ind.code,
        "href": ""
        if ind.entered
        else _page_href("stats:section", key, period=period, division=division, indicator=ind.code),
    }


def _child_table(
    table: dash.ChildTable, people: str | None, period: str, key: str, chosen: IndicatorDef | None
) -> dict[str, Any]:
    inds = table.indicators

    def cells(row: dash.ChildRow) -> list[dict[str, str]]:
        return [
            {
                "text": _text(i, row.values[i.code]),
                "href": people_href(people, i, period, row.code, "{}")
                if row.values[i.code]
                else "",
            }
            for i in inds
        ]

    code = chosen.code if chosen else None
    return {
        "headers": [{"name": _name(i), "unit": _unit(i)} for i in inds],
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "href": _page_href(
                    "stats:section", key, period=period, division=r.code, indicator=code
                ),
                "cells": cells(r),
            }
            for r in table.rows
        ],
        "total": {"cells": cells(table.total)},
        "leaf": table.level >= max(dash.PREFIX),
    }


def _breakdown(
    request: AuthedRequest,
    snapshot: Snapshot | None,
    division: str,
    chosen: IndicatorDef | None,
    people: str | None,
    period: str,
) -> list[dict[str, str]]:
    if chosen is None:
        return []
    en = _english()
    return [
        {
            "label": dash.dims_label(dims, en),
            "value": _text(chosen, value),
            "href": people_href(people, chosen, period, division, dims_key) if value else "",
        }
        for dims, dims_key, value in dash.breakdown(request.user, snapshot, division, chosen)
    ]


def _charts(
    request: AuthedRequest,
    key: str,
    period: str | None,
    division: str,
    chosen: IndicatorDef | None,
    table: dash.ChildTable,
) -> dict[str, Any]:
    """The chart data handed to dashboard.js (``json_script``)."""
    if chosen is None or period is None:
        return {}
    trend = dash.series(request.user, chosen, division, dash.trend_snapshots(period))
    return {
        "title": _name(chosen),
        "unit": _unit(chosen),
        "trend": {"periods": [p for p, _ in trend], "values": [_number(v) for _, v in trend]},
        "bars": [
            {
                "code": r.code,
                "name": r.name,
                "value": _number(r.values[chosen.code]),
                "href": _page_href(
                    "stats:section", key, period=period, division=r.code, indicator=chosen.code
                ),
            }
            for r in table.rows
        ],
        "total": {"name": _("合计"), "value": _number(table.total.values[chosen.code])},
    }


@data_required
def section_csv(request: AuthedRequest, key: str) -> HttpResponse:
    """The child-division table of a section as CSV (UTF-8 with BOM, for Excel and WPS)."""
    names = _section(key)
    period, snapshot = _period(request)
    _home, division = _division(request)
    computed = [i for i in dash.section_indicators(key) if not i.entered]
    table = dash.children(request.user, snapshot, division, computed)
    public = request.GET.get("public") == "1"
    if public:  # for publication: counts of people only, small cells withheld ("*")
        table = dash.protect_small_cells(table)
        computed = table.indicators
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("区划代码"), _("区划名称")] + [f"{_name(i)}（{_unit(i)}）" for i in computed]
    )
    for row in [*table.rows, table.total]:
        label = _("合计") if row is table.total else row.name
        code = "" if row is table.total else row.code
        writer.writerow([code, label] + [_csv_value(i, row.values[i.code]) for i in computed])
    place = dash.division_names([division])[division] or _("全国")
    filename = f"{place}{_name(names)}_{period or ''}{'_public' if public else ''}.csv"
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _csv_value(ind: IndicatorDef, value: Decimal | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int):  # a withheld ("*") or a protected count
        return str(value)
    return str(value.quantize(Decimal("0.1") if ind.kind == "ratio" else Decimal(1)))


# --- the big screen ------------------------------------------------------------------------
@data_required
def bigscreen(request: AuthedRequest) -> HttpResponse:
    """大屏: headline figures of the user's division, ranked bars by child division."""
    period, snapshot = _period(request)
    _home, division = _division(request)
    cat = catalogue().indicators
    codes = sorted({c for _k, cs in dash.HEADLINES for c in cs} | {dash.LAYER_INDICATOR})
    now = dash.figures(request.user, snapshot, division, codes)
    cards = []
    for key, parts in dash.HEADLINES:
        value = sum((now[c] or Decimal(0) for c in parts), Decimal(0)) if snapshot else None
        cards.append({"key": key, "label": _HEADLINE_LABELS[key](), "value": _headline(cat[parts[0]].unit, value)})  # fmt: skip
    ctx = {
        "nav": "stats_bigscreen",
        "period": period,
        "snapshot": snapshot,
        "division_name": dash.division_names([division])[division] or _("全国"),
        "cards": cards,
        "charts": _bigscreen_charts(request, snapshot, division, now),
        "refresh": BIGSCREEN_REFRESH_S,
    }
    return render(request, "stats/bigscreen.html", ctx)


_HEADLINE_LABELS = {
    "dibao": lambda: _("城乡低保对象"),
    "dibao_urban": lambda: _("城市低保"),
    "dibao_rural": lambda: _("农村低保"),
    "tekun": lambda: _("城乡特困人员"),
    "temporary": lambda: _("临时救助（本年累计）"),
    "monitored": lambda: _("纳入动态监测的低收入人口"),
}


def _bigscreen_charts(
    request: AuthedRequest,
    snapshot: Snapshot | None,
    division: str,
    now: dict[str, Decimal | None],
) -> dict[str, Any]:
    cat = catalogue().indicators
    dibao = [cat["SA01"], cat["SA11"]]
    table = dash.children(request.user, snapshot, division, dibao)
    ranked = sorted(
        ((r.name, sum((r.values[i.code] or Decimal(0) for i in dibao), Decimal(0)))
         for r in table.rows), key=lambda nv: nv[1], reverse=True,
    )  # fmt: skip
    layers = dash.breakdown(request.user, snapshot, division, cat[dash.LAYER_INDICATOR])
    monitored = now.get("MN01") or Decimal(0)
    en = _english()
    return {
        "ranking": {
            "title": _("城乡低保对象（人）"),
            "names": [n for n, _v in ranked],
            "values": [_number(v) for _n, v in ranked],
        },
        "layers": {
            "title": _("各层级占监测人口比例（%）"),
            "names": [dash.dims_label(d, en) for d, _k, _v in layers],
            "values": [
                _number((v or Decimal(0)) * 100 / monitored) if monitored else None
                for _d, _k, v in layers
            ],
        },
    }


urls: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("section/<slug:key>/", section, name="section"),
    path("section/<slug:key>/csv", section_csv, name="section_csv"),
    path("bigscreen/", bigscreen, name="bigscreen"),
]

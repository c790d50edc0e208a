"""The list of people behind a statistics figure (drill-down from a dashboard count).

The figure's members are recomputed by its own rule set on the snapshot's registry date
(:mod:`minzheng.stats.drill`); the page shows them masked and paged, with the figure's
value beside the list's total so that a difference (a registry corrected since the
snapshot) shows. Only a user whose jurisdiction covers the whole figure may open it, and
every opening is recorded as a search.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from minzheng.accounts.services import audit_search
from minzheng.core.access import AuthedRequest, data_required
from minzheng.core.paging import paginate
from minzheng.stats.catalogue import catalogue
from minzheng.stats.compute import dims_key
from minzheng.stats.dash import level_of
from minzheng.stats.drill import DrillError, Members, members, parse_dims
from minzheng.stats.figures import ReportError, resolve_division
from minzheng.stats.models import Snapshot, SnapshotValue
from minzheng.stats.selectors import latest


@data_required
def people(request: AuthedRequest) -> HttpResponse:
    """人员名单: ``?indicator=&period=&division=&dims=`` (``snapshot=`` for a past version)."""
    code = request.GET.get("indicator", "")
    division_code = request.GET.get("division", "")
    ind = catalogue().indicators.get(code)
    snap = _snapshot(request)
    level = level_of(division_code)
    if ind is None or snap is None or level is None:
        raise Http404
    try:  # a current division inside the user's jurisdiction, else 404 as elsewhere
        division = resolve_division(division_code, request.user)
    except ReportError as exc:
        raise Http404(str(exc)) from exc
    try:
        dims = parse_dims(request.GET.get("dims"))
        found = _members(snap, code, level, division_code, dims)
    except DrillError as exc:
        raise Http404(str(exc)) from exc
    figure = _figure(snap, code, level, division_code, dims)
    ctx: dict[str, Any] = {
        "nav": "stats_dashboard",
        "indicator": ind,
        "snapshot": snap,
        "division": division if level else None,
        "division_code": division_code,
        "dims": dims or {},
        "figure": figure,
        "members_total": found.total,
        "subject": found.subject,
        "weighted": ind.source is not None and found.total != len(found.rows),
        **paginate(request, found.rows, default=50),  # type: ignore[arg-type]
    }
    ctx["rows"] = _rows(request.user, found.subject, list(ctx["page"].object_list))
    audit_search(
        actor=request.user,
        object_type=found.subject,
        criteria={
            "indicator": code,
            "period": snap.period,
            "version": snap.version,
            "division": division_code,
            "dims": dims or {},
        },
        rows=len(found.rows),
    )
    return render(request, "stats/people.html", ctx)


def _snapshot(request: AuthedRequest) -> Snapshot | None:
    pk = request.GET.get("snapshot", "")
    if pk.isdigit():
        return Snapshot.objects.filter(pk=int(pk)).first()
    period = request.GET.get("period", "")
    return latest(period) if period else None


def _members(
    snap: Snapshot, code: str, level: int, division_code: str, dims: dict | None
) -> Members:
    """Members of a figure, cached for paging (a snapshot never changes; the registry
    date is the snapshot's, so only a later correction of the past could differ)."""
    key = f"mz:drill:{snap.pk}:{code}:{level}:{division_code}:{dims_key(dims or {})}"
    found = cache.get(key)
    if found is None:
        found = members(snap, code, level=level, division_code=division_code, dims=dims)
        cache.set(key, found, 600)
    return found


def _figure(
    snap: Snapshot, code: str, level: int, division_code: str, dims: dict | None
) -> int | None:
    """The stored figure (base unit): the one cell, or the total over its dimensions."""
    qs = SnapshotValue.objects.filter(
        snapshot=snap, indicator=code, level=level, division_code=division_code
    )
    if dims is not None:
        qs = qs.filter(dims_key=dims_key(dims))
    values = [v for v in qs.values_list("value", flat=True) if v is not None]
    return int(sum(values)) if values else None


def _rows(actor: object, subject: str, page: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """The page's subjects, in the list's order, with what they add to the figure."""
    from minzheng.registry.models import Household, Person

    ids = [sk for sk, _, _ in page]
    if subject == "person":
        objs: dict[int, Any] = (
            Person.objects.visible_to(actor)
            .select_related("household", "hukou_division")
            .in_bulk(ids)
        )
    else:
        objs = (
            Household.objects.visible_to(actor)
            .select_related("head", "hukou_division")
            .in_bulk(ids)
        )
    return [
        {"obj": objs[sk], "weight": weight, "label": label}
        for sk, weight, label in page
        if sk in objs
    ]


urls: list[URLPattern] = [path("people/", people, name="people")]

"""Traceability: the count behind any figure equals the length of its list of people.

The list is recomputed by the figure's own rule set on the snapshot's registry date; these
tests compare it with the stored snapshot at every level, for totals over dimensions and
for single dimension cells, and through the page a user opens.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from decimal import Decimal

import pytest

from minzheng.stats.catalogue import catalogue
from minzheng.stats.drill import DrillError, drillable, members, parts
from minzheng.stats.models import SnapshotValue
from minzheng.stats.services import stats_snapshot
from tests.conftest import make_user

LATER = dt.date(2024, 12, 1)


@pytest.fixture
def snap(province):  # type: ignore[no-untyped-def]
    return stats_snapshot("2024Q3", as_of=LATER)


def _totals(snap) -> dict[tuple[str, int, str], Decimal]:  # type: ignore[no-untyped-def]
    out: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for v in SnapshotValue.objects.filter(snapshot=snap):
        out[(v.indicator, v.level, v.division_code)] += v.value or 0
    return out


def _count_like(code: str) -> bool:
    """Indicators whose engine measure is a count (each member weighs 1)."""
    from minzheng.stats.drill import _ruleset

    ind = catalogue().indicators[code]
    return all(
        _ruleset(p.ruleset).indicators[p.indicator].measure == "count" for p in parts(ind, None)
    )


def test_every_total_figure_equals_its_list_nation_to_county(snap):
    totals = _totals(snap)
    checked = 0
    for (code, level, division), value in totals.items():
        ind = catalogue().indicators[code]
        if not drillable(ind) or level > 3:
            continue
        found = members(snap, code, level=level, division_code=division)
        assert found.total == value, (code, level, division)
        if _count_like(code):
            assert len(found.rows) == value, (code, level, division)
        checked += 1
    assert checked >= 40  # every drillable indicator at levels 0–3 of two counties


def test_single_dimension_cells_and_townships(snap):
    rng = random.Random(3)
    cells = [
        v
        for v in SnapshotValue.objects.filter(snapshot=snap)
        if drillable(catalogue().indicators[v.indicator]) and v.dims
    ]
    townships = [
        v
        for v in SnapshotValue.objects.filter(snapshot=snap, level=4)
        if drillable(catalogue().indicators[v.indicator])
    ]
    sample = rng.sample(cells, 25) + rng.sample(townships, 10)
    for v in sample:
        found = members(
            snap, v.indicator, level=v.level, division_code=v.division_code, dims=v.dims
        )
        assert found.total == v.value, (v.indicator, v.level, v.division_code, v.dims)
    assert any(v.value for v in sample)


def test_members_are_in_the_division_and_not_a_whole_list(snap):
    from minzheng.registry.models import Person

    found = members(snap, "MN01", level=3, division_code="440104")
    nation = members(snap, "MN01", level=0, division_code="")
    assert 0 < len(found.rows) < len(nation.rows)
    codes = set(
        Person.objects.filter(pk__in=found.ids).values_list("hukou_division__code", flat=True)
    )
    assert codes and all(c.startswith("440104") for c in codes)


def test_ratios_and_entered_figures_have_no_list(snap):
    cat = catalogue()
    ratio = next(i for i in cat.indicators.values() if i.kind == "ratio")
    entered = next(i for i in cat.indicators.values() if i.entered)
    for ind in (ratio, entered):
        with pytest.raises(DrillError):
            members(snap, ind.code, level=0, division_code="")
    with pytest.raises(DrillError):
        members(snap, "MN01", level=3, division_code="44")


# --- the page ------------------------------------------------------------------------------
def _figure_and_total(html: str) -> tuple[str, str]:
    figure = re.search(r'id="figure">([^<]*)<', html)
    total = re.search(r'id="members-total">([^<]*)<', html)
    assert figure and total
    return figure.group(1), total.group(1)


def test_the_page_lists_as_many_as_the_figure_for_a_covering_user(client, snap):
    from minzheng.accounts.models import AuditEvent

    user = make_user("county1", "440106", "caseworker")
    client.force_login(user)
    value = int(_totals(snap)[("SA02", 3, "440106")])
    assert value > 0
    url = "/stats/people/"
    params = {"indicator": "SA02", "period": "2024Q3", "division": "440106", "size": 10}
    page = client.get(url, params)
    assert page.status_code == 200
    figure, total = _figure_and_total(page.content.decode())
    assert int(figure) == int(total) == value
    assert page.context["total"] == value  # the pager counts the list
    assert len(page.context["rows"]) == min(10, value)
    html = page.content.decode()
    assert "********" in html  # ID numbers masked
    event = AuditEvent.objects.filter(actor=user, action="search").latest("pk")
    assert event.rows == value and event.changes["indicator"] == "SA02"


def test_a_dimension_cell_through_the_page(client, snap):
    v = (
        SnapshotValue.objects.filter(snapshot=snap, indicator="MN01", level=3, value__gt=0)
        .exclude(dims={})
        .first()
    )
    assert v is not None
    client.force_login(make_user("analyst", "", "analyst"))
    page = client.get(
        "/stats/people/",
        {
            "indicator": "MN01",
            "period": "2024Q3",
            "division": v.division_code,
            "dims": v.dims_key,
        },
    )
    assert page.status_code == 200
    assert page.context["total"] == int(v.value)


def test_out_of_jurisdiction_or_no_data_role_gets_nothing(client, snap):
    client.force_login(make_user("county2", "440104", "caseworker"))
    params = {"indicator": "SA02", "period": "2024Q3", "division": "440106"}
    assert client.get("/stats/people/", params).status_code == 404
    assert client.get("/stats/people/", {**params, "division": "44"}).status_code == 404
    client.force_login(make_user("sysadmin1", "", "sysadmin"))
    assert client.get("/stats/people/", params).status_code == 403
    client.force_login(make_user("n1", "", "caseworker"))
    assert client.get("/stats/people/", {**params, "indicator": "SA03"}).status_code == 404
    assert client.get("/stats/people/", {**params, "period": "2023Q1"}).status_code == 404

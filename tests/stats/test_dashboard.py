"""Dashboards and the big screen: figures from snapshots, drill-down, jurisdiction, links."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from minzheng.stats import dash
from minzheng.stats.models import Snapshot, SnapshotValue
from minzheng.stats.narrative import format_zh
from minzheng.stats.periods import previous_period
from minzheng.stats.services import stats_snapshot
from tests.conftest import make_user

LATER = dt.date(2025, 1, 15)


@pytest.fixture
def snaps(province) -> tuple[Snapshot, Snapshot]:
    """Two quarters of the synthetic province: a trend of two points."""
    return stats_snapshot("2024Q2", as_of=LATER), stats_snapshot("2024Q3", as_of=LATER)


def stored(snap: Snapshot, code: str, division: str) -> Decimal:
    """The figure as stored, summed over its dimension rows (read straight from the ORM)."""
    level = {0: 0, 2: 1, 4: 2, 6: 3, 9: 4}[len(division)]
    rows = SnapshotValue.objects.filter(
        snapshot=snap, indicator=code, level=level, division_code=division
    )
    return sum((v for v in rows.values_list("value", flat=True)), Decimal(0))


def page(client: Any, name: str, *args: str, **params: str) -> tuple[int, str]:
    resp = client.get(reverse(name, args=args), params)
    return resp.status_code, resp.content.decode()


def charts(text: str, element: str = "stats-charts") -> dict[str, Any]:
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', text, re.S)
    assert found, "no chart data on the page"
    return json.loads(found[1])


def hrefs(text: str, css: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a class="{css}" href="([^"]*)"', text)]


# --- pages ----------------------------------------------------------------------------------
def test_the_pages_render_for_an_analyst(snaps, client):
    client.force_login(make_user("ana", "", "analyst"))
    status, text = page(client, "stats:dashboard")
    assert status == 200 and "社会救助" in text and "2024Q3" in text and "2024Q2" in text
    status, text = page(client, "stats:section", "assistance")
    assert status == 200 and "城市低保人数" in text and "合计" in text
    assert 'id="chart-trend"' in text and "vendor/echarts/echarts.min.js" in text
    status, text = page(client, "stats:section", "seed")  # entered only: no figures, no chart
    assert status == 200 and "填报" in text and 'id="chart-trend"' not in text
    assert page(client, "stats:section", "nope")[0] == 404


def test_the_bars_add_up_to_the_total_row_which_is_the_parent_figure(snaps, client):
    client.force_login(make_user("ana", "", "analyst"))
    q3 = snaps[1]
    for division, code in [("44", "SA01"), ("4401", "MN01"), ("440106", "MN10"), ("", "SA11")]:
        _, text = page(
            client, "stats:section", "monitoring" if code[:2] == "MN" else "assistance",
            period="2024Q3", division=division, indicator=code,
        )  # fmt: skip
        data = charts(text)
        parent = stored(q3, code, division)
        assert parent > 0 and data["bars"]
        assert sum(b["value"] for b in data["bars"]) == data["total"]["value"] == parent
        assert all(b["code"].startswith(division) for b in data["bars"])
        total_row = re.search(r'<tr class="total">(.*?)</tr>', text, re.S)
        assert total_row and f"{parent:,.0f}" in total_row[1]


def test_the_trend_and_the_change_come_from_both_periods(snaps, client):
    client.force_login(make_user("ana", "44", "analyst"))
    q2, q3 = snaps
    _, text = page(client, "stats:section", "assistance", period="2024Q3", indicator="SA11")
    data = charts(text)
    assert data["trend"]["periods"] == ["2024Q2", "2024Q3"]
    assert data["trend"]["values"] == [int(stored(q2, "SA11", "44")), int(stored(q3, "SA11", "44"))]
    assert data["title"] == "农村低保人数" and data["unit"] == "人"
    assert "上期" in text and "（2024Q2）" in text
    # The ratio row is recomputed, not summed, and has no people link.
    ratio = SnapshotValue.objects.get(snapshot=q3, indicator="SA13", level=1, division_code="44")
    assert ratio.value is not None and f"{ratio.value.quantize(Decimal('0.1')):,}" in text


def test_drilling_down_from_the_province_into_a_county(snaps, client):
    client.force_login(make_user("prov", "44", "analyst"))
    _, text = page(client, "stats:section", "assistance", period="2024Q3", indicator="SA01")
    prefecture = [b for b in charts(text)["bars"] if b["code"] == "4401"]
    assert prefecture and "division=4401" in prefecture[0]["href"]
    status, text = client.get(prefecture[0]["href"]).status_code, ""
    assert status == 200
    _, text = page(client, "stats:section", "assistance", period="2024Q3", division="440106")
    bars = charts(text)["bars"]
    assert bars and all(len(b["code"]) == 9 and b["code"].startswith("440106") for b in bars)
    assert {b["code"] for b in bars} <= {h.split("division=")[1][:9] for h in hrefs(text, "drill")}
    crumbs = re.search(r'<div class="crumbs">(.*?)</div>', text, re.S)[1]  # type: ignore[index]
    assert "广东省" in crumbs and "广州市" in crumbs and "天河区" in crumbs
    assert "division=44&" in html.unescape(crumbs)  # back up to the province
    township = bars[0]["code"]
    status, text = page(client, "stats:section", "assistance", division=township)
    assert status == 200 and "已是最低统计层级" in text


def test_a_county_user_sees_its_county_only(snaps, client):
    client.force_login(make_user("county", "440106", "caseworker"))
    status, text = page(client, "stats:section", "assistance")  # defaults to its county
    assert status == 200
    assert charts(text)["total"]["value"] == stored(snaps[1], "SA01", "440106")
    for other in ("440104", "44", "4401", "4401040", "abc", "440104001"):
        assert page(client, "stats:section", "assistance", division=other)[0] == 404, other
        assert page(client, "stats:section_csv", "assistance", division=other)[0] == 404
    assert page(client, "stats:bigscreen", division="44")[0] == 404
    crumbs = re.search(r'<div class="crumbs">(.*?)</div>', text, re.S)[1]  # type: ignore[index]
    assert "广东省" not in crumbs and "division=44&" not in crumbs
    assert "440104" not in " ".join(hrefs(text, "drill"))


def test_administrators_see_no_figures(snaps, client):
    client.force_login(make_user("sys", "", "sysadmin"))
    for name, args in [("stats:dashboard", ()), ("stats:section", ("assistance",)),
                       ("stats:bigscreen", ()), ("stats:section_csv", ("assistance",))]:  # fmt: skip
        assert client.get(reverse(name, args=args)).status_code == 403


def test_count_cells_link_to_the_people_behind_them(snaps, client):
    client.force_login(make_user("ana", "44", "analyst"))
    base = reverse("stats:people")
    _, text = page(client, "stats:section", "assistance", period="2024Q3", division="4401")
    links = hrefs(text, "count")
    query = urlencode({"indicator": "SA01", "period": "2024Q3", "division": "440106", "dims": "{}"})
    assert f"{base}?{query}" in links
    assert f"{base}?indicator=SA02&period=2024Q3&division=4401&dims=%7B%7D" in links  # own row
    linked = {parse_qs(urlsplit(h).query)["indicator"][0] for h in links}
    assert {"SA01", "SA02", "SA11", "SA12", "SA21", "SA22"} <= linked
    assert not linked & {"SA03", "SA13", "SA31", "SA91", "SA92", "EX03"}  # ratios, 人次, money
    _, text = page(client, "stats:section", "monitoring", division="440106", indicator="MN01")
    breakdown = re.search(r'<table class="grid" id="breakdown">(.*?)</table>', text, re.S)
    assert breakdown and "60+ · 男" in breakdown[1]
    dims = {parse_qs(urlsplit(html.unescape(h)).query)["dims"][0]
            for h in re.findall(r'href="([^"]*)"', breakdown[1])}  # fmt: skip
    keys = set(
        SnapshotValue.objects.filter(
            snapshot=snaps[1], indicator="MN01", level=3, division_code="440106"
        ).values_list("dims_key", flat=True)
    )
    assert dims == keys and '{"age_band":"60+","sex":"1"}' in dims


def test_the_english_page_has_english_labels(snaps, client):
    client.force_login(make_user("ana", "44", "analyst"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    _, text = page(client, "stats:section", "assistance", indicator="SA01")
    data = charts(text)
    assert data["title"] == "urban dibao recipients" and data["unit"] == "persons"
    assert data["total"]["name"] == "Total"
    assert "rural tekun recipients" in text and "城市低保人数" not in text
    _, text = page(client, "stats:bigscreen")
    assert "people" in text and "万人" not in text


def test_the_big_screen_shows_the_headline_figures(snaps, client):
    client.force_login(make_user("ana", "", "analyst"))
    status, text = page(client, "stats:bigscreen")
    assert status == 200 and 'class="bigscreen"' in text and 'http-equiv="refresh"' in text
    q3 = snaps[1]
    dibao = stored(q3, "SA01", "") + stored(q3, "SA11", "")
    assert format_zh(dibao, "万人") in text
    assert format_zh(stored(q3, "MN01", ""), "人") in text
    data = charts(text, "stats-bigscreen")
    assert data["ranking"]["names"] == ["广东省"]
    assert data["ranking"]["values"] == [int(dibao)]
    monitored = stored(q3, "MN01", "")
    shares = dict(zip(data["layers"]["names"], data["layers"]["values"], strict=True))
    expected = SnapshotValue.objects.get(
        snapshot=q3, indicator="MN10", level=0, dims_key='{"layer":"dibao"}'
    ).value
    assert expected is not None
    assert shares["低保对象"] == pytest.approx(float(expected * 100 / monitored))


def test_the_child_table_downloads_as_csv(snaps, client):
    client.force_login(make_user("ana", "44", "analyst"))
    resp = client.get(reverse("stats:section_csv", args=["assistance"]), {"division": "4401"})
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    col = header.index("城市低保人数（人）")
    assert body[-1][1] == "合计" and Decimal(body[-1][col]) == stored(snaps[1], "SA01", "4401")
    assert sum(Decimal(r[col]) for r in body[:-1]) == Decimal(body[-1][col])
    assert {r[0] for r in body[:-1]} == {"440104", "440106"}


def test_the_public_csv_withholds_small_counts_and_their_complements(snaps, client):
    client.force_login(make_user("ana", "44", "analyst"))
    url = reverse("stats:section_csv", args=["assistance"])
    full = list(
        csv.reader(io.StringIO(client.get(url, {"division": "440106"}).content.decode("utf-8-sig")))
    )
    resp = client.get(url, {"division": "440106", "public": "1"})
    assert resp.status_code == 200 and "_public" in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert "城市低保平均标准（元/人·月）" in full[0] and not any("标准" in h for h in header)
    withheld = 0
    for col in range(2, len(header)):
        cells = [r[col] for r in body]
        shown = [int(c) for c in cells if c not in ("*", "")]
        assert not any(0 < v < 5 for v in shown), header[col]
        hidden = cells.count("*")
        assert hidden != 1, f"{header[col]}: one withheld cell is given back by the total"
        full_col = full[0].index(header[col])
        small = [r for r in full[1:] if r[full_col] and 0 < int(r[full_col]) < 5]
        assert hidden >= len(small)
        withheld += hidden
    assert withheld > 0  # the townships of one county do have small counts


def test_no_snapshot_yet_says_what_to_do(db, client):
    client.force_login(make_user("ana", "", "analyst"))
    status, text = page(client, "stats:section", "assistance")
    assert status == 200 and 'id="no-snapshot"' in text
    status, text = page(client, "stats:bigscreen")
    assert status == 200 and "minzheng stats snapshot" in text


def test_a_period_without_snapshot_is_explained_not_an_error(snaps, client):
    client.force_login(make_user("ana", "", "analyst"))
    for period in ("2023Q1", "bogus"):
        status, text = page(client, "stats:section", "assistance", period=period)
        assert status == 200 and 'id="no-snapshot"' in text and "2024Q3" in text
        assert 'id="chart-trend"' not in text and "stats-charts" not in text


def test_dash_selectors_scope_and_periods(snaps):
    county = make_user("c", "440106", "analyst")
    assert previous_period("2024Q1") == "2023Q4"
    assert previous_period("2024-01") == "2023-12" and previous_period("2024") == "2023"
    assert [s.period for s in dash.trend_snapshots("2024Q3")] == ["2024Q2", "2024Q3"]
    assert dash.figures(county, snaps[1], "440104", ["SA01"]) == {"SA01": Decimal(0)}
    assert dash.figures(county, snaps[1], "440106", ["SA01"])["SA01"] == stored(
        snaps[1], "SA01", "440106"
    )
    assert dash.ancestors("44", "440106") == ["44", "4401", "440106"]
    assert not dash.may_see(county, "44") and dash.may_see(county, "440106001")


def test_entered_figures_show_beside_computed_ones(snaps, client):
    from minzheng.divisions.models import Division
    from minzheng.stats import datasets

    clerk = make_user("clerk", "440106", "caseworker")
    county = Division.objects.current().get(code="440106000000")
    values = {"TD01": 10, "TD02": 3, "TD03": 2, "TD04": 5}
    datasets.values_save(
        actor=clerk,
        division=county,
        period="2024Q3",
        entries={c: datasets.Entry(Decimal(v)) for c, v in values.items()},
    )
    client.force_login(make_user("ana", "44", "analyst"))
    for division in ("44", "4401", "440106"):
        resp = client.get(
            reverse("stats:section", args=["divisions"]), {"period": "2024Q3", "division": division}
        )
        assert resp.status_code == 200
        shown = {r["code"]: r["value"] for r in resp.context["rows"]}
        assert {c: shown[c] for c in values} == {c: str(v) for c, v in values.items()}, division
    resp = client.get(
        reverse("stats:section", args=["divisions"]), {"period": "2024Q3", "division": "440104"}
    )
    assert {r["code"]: r["value"] for r in resp.context["rows"]}["TD01"] in ("—", "", "0")

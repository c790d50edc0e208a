"""An analyst's statistics flow in a real browser: the dashboard, a drill from the province
to a county, the people behind a count, and the quarterly report as Excel."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import sign_in


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_an_analyst_drills_down_to_the_people_and_downloads_the_report(page, server, tmp_path):
    from openpyxl import load_workbook

    sign_in(page, server, "province")  # analyst of 广东省
    page.goto(server + "/stats/")
    page.click("table.grid a:has-text('社会救助')")
    page.wait_for_selector("#indicators")
    page.wait_for_selector("#chart-trend canvas")  # ECharts drew the trend (served locally)

    # 广东省 → 广州市 → 天河区, by the child-division table.
    page.click("#children a.drill:has-text('广州市')")
    page.wait_for_selector(".crumbs >> text=广州市")
    page.click("#children a.drill:has-text('天河区')")
    page.wait_for_selector(".crumbs >> text=天河区")
    assert "division=440106" in page.url

    # The count of urban dibao households leads to as many households.
    row = page.locator("#indicators tr", has_text="SA02")
    shown = _number(row.locator("a.count").inner_text())
    assert shown > 0
    row.locator("a.count").click()
    page.wait_for_selector("#members-total")
    assert (
        _number(page.inner_text("#members-total")) == shown == _number(page.inner_text("#figure"))
    )
    assert page.locator("table.grid tbody tr").count() == min(shown, 50)
    assert "********" in page.inner_text("table.grid")  # ID numbers masked

    # Back on the county page: the quarterly report as Excel.
    page.go_back()
    with page.expect_download() as dl:
        page.click("#report-xlsx")
    target = Path(tmp_path) / dl.value.suggested_filename
    dl.value.save_as(target)
    assert target.suffix == ".xlsx"
    ws = load_workbook(target).worksheets[0]
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert any("民政统计" in c for c in cells) and any("天河区" in c for c in cells)
    assert "SA02" in cells

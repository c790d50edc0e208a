"""What a caseworker does, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import sign_in


def test_login_in_chinese_then_english(page, server):
    sign_in(page, server, "town1")
    assert page.locator(".card").first.is_visible()
    assert "家庭户" in page.content()
    page.click("text=English")
    page.wait_for_load_state()
    assert "Households" in page.content()
    page.click("text=中文")
    page.wait_for_load_state()
    assert "家庭户" in page.content()


def test_lockout_after_five_failures(page, server):
    for _ in range(5):
        sign_in(page, server, "reviewer1", "wrong-password")
    sign_in(page, server, "reviewer1")
    assert "账号已锁定" in page.content()


def test_search_open_file_and_edit(page, server):
    sign_in(page, server, "county1")
    page.goto(server + "/registry/households/")
    first_head = page.locator("#results tbody tr td").nth(2).inner_text()
    page.fill("input[name=q]", first_head)
    page.click("button:has-text('查询')")
    page.wait_for_timeout(300)
    assert first_head in page.locator("#results").inner_text()
    page.locator("#results a:has-text('详情')").first.click()
    page.wait_for_load_state()
    assert "家庭成员" in page.content() and "救助链时间轴" in page.content()
    page.click("a:has-text('修改')")
    page.fill("input[name=address]", "浏览器测试路 9 号")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert "已保存" in page.content() and "浏览器测试路 9 号" in page.content()


def test_import_page_with_errors(page, server, tmp_path):
    sign_in(page, server, "town1")
    page.goto(server + "/registry/import/")
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "户编号,姓名,公民身份号码,与户主关系,户籍地行政区划代码\n"
        "E2E-1,测试甲,,02,440106001\nE2E-1,测试乙,123,20,440106001\n",
        encoding="utf-8",
    )
    page.set_input_files("input[type=file]", str(csv))
    page.wait_for_selector("text=导入成功", timeout=20000)
    assert re.search(r"导入成功 1 条，失败 1 条", page.content())
    with page.expect_download() as dl:
        page.click("text=下载错误报告")
    assert dl.value.suggested_filename.endswith(".xlsx")


def test_export_downloads_a_named_workbook(page, server, tmp_path):
    sign_in(page, server, "county1")
    page.goto(server + "/registry/households/")
    with page.expect_download() as dl:
        page.click("a:has-text('导出')")
    name = dl.value.suggested_filename
    assert name.startswith("天河区家庭户花名册_") and name.endswith(".xlsx")
    target = Path(tmp_path) / name
    dl.value.save_as(target)
    assert target.stat().st_size > 1000

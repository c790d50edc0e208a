"""A dibao application from intake to approval, and onto the month's roster, in a browser.

Three people, as the law wants (maker–checker): the township caseworker takes the
application, accepts it, uploads the signed authorisation, records the home visit and runs
the data check; the county reviewer gives the preliminary opinion and runs the publicity;
the county approver decides and generates the roster; the caseworker then finds the
household on it. The county's publicity period is set to 0 days through the parameter
import first (the only way a test can pass 7 days of publicity in one run).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

from tests.e2e.conftest import BIN, SERVER_ENV, sign_in


def _sign_out(page, server):  # type: ignore[no-untyped-def]
    page.context.clear_cookies()


def test_caseworker_takes_an_application_to_approval_and_the_roster(page, server, tmp_path):
    params = tmp_path / "publicity.csv"
    params.write_text(
        "参数,区划,取值,起始日期\npublicity_days,440106,0,2020-01-01\n", encoding="utf-8"
    )
    done = subprocess.run([str(BIN / "minzheng"), "parameters", "import", str(params)],
                          env=SERVER_ENV, capture_output=True, text=True, check=True)  # fmt: skip
    assert '"created": 1' in done.stdout or '"corrected": 1' in done.stdout

    # 1. The township caseworker: intake, acceptance, authorisation, visit, data check.
    sign_in(page, server, "town1")
    page.goto(server + "/registry/households/")
    links = page.locator("#results a:has-text('详情')")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:  # a household whose hukou is in 天河 (some only live there)
        page.goto(server + str(href))
        hukou = page.locator("dl.info dt:has-text('户籍地') + dd").inner_text()
        if "440106" in hukou:
            break
    else:
        raise AssertionError("no household with hukou in 440106 on the first page")
    ref = page.locator("dl.info dd").first.inner_text().strip()
    page.click("a:has-text('申请救助')")
    page.select_option("select[name=programme]", "dibao")
    page.click("button:has-text('登记申请')")
    page.wait_for_load_state()
    assert "已申请" in page.locator("#case-state").inner_text()
    case_url = page.url
    page.click("button:has-text('受理')")
    page.wait_for_load_state()
    assert "已受理" in page.locator("#case-state").inner_text()
    auth = tmp_path / "授权书.pdf"
    auth.write_bytes(b"%PDF-1.4 signed authorisation for the economic check")
    page.select_option("select[name=kind]", "authorisation")
    page.set_input_files("input[type=file]", str(auth))
    page.click("button:has-text('上传材料')")
    page.wait_for_load_state()
    page.fill("input[name=visitors]", "王五、赵六")
    page.fill("textarea[name=findings]", "住房一套，无车辆")
    page.click("button:has-text('记录入户调查')")
    page.wait_for_load_state()
    page.click("button:has-text('核对并完成调查')")
    page.wait_for_load_state()
    assert "已调查核对" in page.locator("#case-state").inner_text(), page.content()[:2000]
    assert "家庭经济状况核对" in page.content()

    # 2. The county reviewer: preliminary review and publicity.
    _sign_out(page, server)
    sign_in(page, server, "reviewer1")
    page.goto(case_url)
    page.click("button:has-text('提交初审')")
    page.wait_for_load_state()
    page.click("button:has-text('开始公示')")
    page.wait_for_load_state()
    assert "公示中" in page.locator("#case-state").inner_text()
    page.goto(server + "/assistance/cases/publicity/")
    assert "********" in page.content()  # ID numbers masked on the printable list
    page.goto(case_url)
    page.click("button:has-text('公示期满')")
    page.wait_for_load_state()
    assert "公示期满" in page.locator("#case-state").inner_text(), page.locator(
        ".messages"
    ).inner_text()

    # 3. The county approver (neither maker nor reviewer) approves 500.00 a month.
    _sign_out(page, server)
    sign_in(page, server, "county1")
    page.goto(case_url)
    page.fill("input[name=amount]", "500")
    page.fill("input[name=reason]", "符合条件")
    page.click("button:has-text('审批决定')")
    page.wait_for_load_state()
    assert "已批准" in page.locator("#case-state").inner_text()
    nxt = (dt.date.today().replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")
    page.goto(server + "/assistance/rosters/")
    page.select_option("select[name=programme]", "dibao")
    page.fill("input[name=month]", nxt)
    page.click("button:has-text('生成')")
    page.wait_for_load_state()
    assert re.search(r"花名册已生成：\d+ 人", page.content())

    # 4. The caseworker sees the household on the roster (own township's lines only).
    _sign_out(page, server)
    sign_in(page, server, "town1")
    page.goto(server + "/assistance/rosters/")
    page.locator("a:has-text('详情')").first.click()
    page.wait_for_load_state()
    lines = page.locator("#roster-lines").inner_text()
    assert ref in lines and "500.00" in lines

"""A red warning from a department feed to a closed loop, in a browser.

The emergency-management bureau reports a collapsed house of a low-income household in
五山街道 (a feed file imported on the command line, as an operator would); the nightly pass
raises a red warning in the township's inbox. The township caseworker opens it, records the
home visit, opens a temporary-assistance application from it and closes the warning; the
county approver then finds it closed.
"""

from __future__ import annotations

import json
import subprocess

from tests.e2e.conftest import BIN, SERVER_ENV, sign_in

FIND = """
from django.db.models import Q
from minzheng.monitoring.models import LayerMembership
from minzheng.registry.models import Person
import json
here = Q(household__residence_division__code__startswith="440106001") | Q(
    household__residence_division__isnull=True,
    household__hukou_division__code__startswith="440106001")
p = (Person.objects.filter(here,
        pk__in=LayerMembership.objects.filter(layer__in=["dibao", "bianyuan"]).values("person_id"),
        id_number__isnull=False, household__isnull=False)
     .exclude(household__alerts__rule="house_destroyed").order_by("pk").first())
print(json.dumps({"id": p.id_number, "name": p.name, "ref": p.household.ref}))
"""


def _cli(*args: str) -> str:
    done = subprocess.run([str(BIN / "minzheng"), *args], env=SERVER_ENV, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout


def test_a_red_warning_is_verified_acted_on_and_closed(page, server, tmp_path):
    who = json.loads(_cli("manage", "shell", "-c", FIND).strip().splitlines()[-1])
    feed = tmp_path / "受灾人员.csv"
    feed.write_text(
        "公民身份号码,姓名,受灾地区划代码,受灾日期,灾害名称,房屋损毁程度,直接经济损失,记录号\n"
        f"{who['id']},{who['name']},440106001,2024-06-20,暴雨,倒塌,50000.00,E2E-DISASTER-1\n",
        encoding="utf-8",
    )
    assert '"created": 1' in _cli("import", "feed", "disaster", str(feed))
    summary = json.loads(_cli("monitor", "run", "--as-of", "2024-06-30",
                              "--rules", "house_destroyed").strip().splitlines()[-1])  # fmt: skip
    assert summary["new"] >= 1

    # The township caseworker: the red warning is in the inbox.
    sign_in(page, server, "town1")
    page.goto(server + "/monitoring/?severity=red&q=" + who["ref"])
    page.click("table.grid td.ops a:has-text('处置')")
    page.wait_for_load_state()
    assert "红色" in page.locator("#alert-severity").inner_text()
    assert "倒塌" in page.locator("#alert-reasons").inner_text()
    page.fill("textarea[name=visit_result]", "房屋倒塌，全家借住亲戚家，急需救助")
    page.click("button:has-text('记录核实结果')")
    page.wait_for_load_state()
    assert "已核实" in page.locator("#alert-status").inner_text()
    page.check("input[name=outcome][value=case]")
    page.select_option("select[name=programme]", "temporary")
    page.click("button:has-text('提交处置')")
    page.wait_for_load_state()
    assert "已处置" in page.locator("#alert-status").inner_text(), page.content()[:2000]
    case_ref = page.locator("#alert-case").inner_text().strip()
    assert case_ref.startswith("TE")
    alert_url = page.url
    page.fill("input[name=note]", "已受理临时救助申请")
    page.click("button:has-text('办结')")
    page.wait_for_load_state()
    assert "已办结" in page.locator("#alert-status").inner_text()

    # The county sees the loop closed, and the application among its cases.
    page.context.clear_cookies()
    sign_in(page, server, "county1")
    page.goto(server + "/monitoring/?status=closed&q=" + who["ref"])
    assert "已办结" in page.content() and who["ref"] in page.content()
    page.goto(alert_url)
    assert case_ref in page.locator("#alert-case").inner_text()
    page.goto(server + "/assistance/cases/")
    assert case_ref in page.content()

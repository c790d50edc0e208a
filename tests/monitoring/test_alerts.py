"""A warning's lifecycle (verify → act → close), escalation, export and the pages."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse

from minzheng.assistance.models import Case
from minzheng.monitoring import passes
from minzheng.monitoring.alerts import Alert, AlertStatus, Outcome
from minzheng.monitoring.services import (
    AlertError,
    alert_act,
    alert_close,
    alert_verify,
    alerts_bulk_close,
    alerts_escalate,
    alerts_export,
    open_counts,
)
from tests.monitoring.test_pass import AS_OF, layer, record
from tests.world import login


@contextmanager
def refused(code: str) -> Iterator[None]:
    """The block raises the service's AlertError with ``code`` (and both languages)."""
    with pytest.raises(AlertError) as info:
        yield
    assert info.value.code == code and info.value.message and info.value.message_en


@pytest.fixture
def red(world) -> Alert:  # type: ignore[no-untyped-def]
    """A red warning for 甲 household (township 440106001): a house collapsed."""
    t1 = world.persons["t1"]
    layer(t1[0], "dibao")
    record("disaster", t1[0], dt.date(2024, 6, 10), house_damage="倒塌", loss_fen=3_000_000)
    passes.monitor_run(as_of=AS_OF, link=False, rules=["house_destroyed"])
    return Alert.objects.get()


def test_the_township_verifies_acts_with_a_case_and_closes(world, red):
    town1 = world.users["town1"]
    alert_verify(actor=town1, alert=red, visit_result="房屋倒塌，全家借住亲戚家", on=AS_OF)
    acted = alert_act(actor=town1, alert=red, outcome=Outcome.CASE, programme="temporary", on=AS_OF)
    case = Case.objects.get()
    assert acted.case == case and case.household == red.household and case.urgent
    closed = alert_close(actor=town1, alert=red, note="已先行救助")
    assert closed.status == AlertStatus.CLOSED
    assert [e.action for e in closed.events.all()] == ["raise", "verify", "act", "close"]
    from minzheng.accounts.models import AuditEvent

    steps = AuditEvent.objects.filter(object_type="alert", household_id=red.household_id)
    assert set(steps.values_list("action", flat=True)) >= {"alert_raise", "alert_verify",
                                                          "alert_act", "alert_close"}  # fmt: skip
    # One assistance chain per household: the warning's steps and the case on its timeline.
    from minzheng.registry.selectors import household_file

    chain = [e.action for e in household_file(world.users["town1"], red.household).timeline]
    assert {"alert_raise", "alert_verify", "alert_act", "alert_close", "case_apply"} <= set(chain)


def test_steps_are_refused_out_of_order_out_of_area_and_without_reasons(world, red):
    town1, town2 = world.users["town1"], world.users["town2"]
    with refused("forbidden"):
        alert_verify(actor=town2, alert=red, visit_result="x")
    with refused("bad_state"):
        alert_close(actor=town1, alert=red)
    with refused("visit_result"):
        alert_verify(actor=town1, alert=red, visit_result="  ")
    alert_verify(actor=town1, alert=red, visit_result="已核实")
    with refused("note"):
        alert_act(actor=town1, alert=red, outcome=Outcome.NO_ACTION)
    assert Alert.objects.get().status == AlertStatus.VERIFIED


def test_overdue_warnings_escalate_once(world, red):
    assert alerts_escalate(red.due_on) == 0
    assert alerts_escalate(red.due_on + dt.timedelta(days=1)) == 1
    assert alerts_escalate(red.due_on + dt.timedelta(days=2)) == 0
    assert Alert.objects.get().escalated


def test_the_county_closes_in_bulk_with_one_reason(world, red):
    with refused("forbidden"):
        alerts_bulk_close(actor=world.users["town1"], alerts=[red], reason="重复推送")
    assert alerts_bulk_close(actor=world.users["county1"], alerts=[red], reason="重复推送") == 1
    assert Alert.objects.get().outcome == Outcome.NO_ACTION


def test_the_export_holds_what_the_user_may_see_masked_and_neutralised(world, red, tmp_path):
    from minzheng.registry.models import Household

    Household.objects.filter(pk=red.household_id).update(ref="=cmd|' /C calc'!A0")
    out = tmp_path / "a.csv"
    assert alerts_export(actor=world.users["town2"], out=out) == 0
    assert alerts_export(actor=world.users["town1"], out=out) == 1
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    number = world.persons["t1"][0].id_number
    assert rows[1][8] != number and rows[1][8][:6] == number[:6] and "*" in rows[1][8]
    assert rows[1][14].startswith("监测家庭近3个月因灾房屋倒塌")
    assert rows[1][9] == "'=cmd|' /C calc'!A0"  # the household ref, neutralised
    assert all(not c.startswith(("=", "+", "@")) for c in rows[1])


def test_the_dashboard_counts_open_and_overdue(world, red):
    figures = open_counts(world.users["county1"], today=red.due_on + dt.timedelta(days=1))
    assert figures["by"]["severity"] == {"red": {"open": 1, "overdue": 1}}
    assert open_counts(world.users["county2"])["by"]["severity"] == {}


def test_pages_a_caseworker_uses(world, red, client):
    other = login(client, world.users["town2"])
    assert other.get(reverse("monitoring:alert", args=[red.uid])).status_code == 404
    assert red.household.ref not in other.get(reverse("monitoring:inbox")).content.decode()
    c = login(client, world.users["town1"])
    inbox = c.get(reverse("monitoring:inbox")).content.decode()
    assert red.household.ref in inbox and "红色" in inbox
    page = c.get(reverse("monitoring:alert", args=[red.uid])).content.decode()
    assert "监测家庭近3个月因灾房屋倒塌" in page
    step = reverse("monitoring:alert_step", args=[red.uid, "verify"])
    assert c.post(step, {"visit_result": ""}).status_code == 302
    assert Alert.objects.get().status == AlertStatus.OPEN  # refused: no visit result
    c.post(step, {"visit_result": "已入户"})
    c.post(reverse("monitoring:alert_step", args=[red.uid, "act"]),
           {"outcome": "referred", "note": "转住建部门危房改造"})  # fmt: skip
    c.post(reverse("monitoring:alert_step", args=[red.uid, "close"]), {"note": ""})
    assert Alert.objects.get().status == AlertStatus.CLOSED
    download = c.get(reverse("monitoring:download"))
    assert download.status_code == 200 and "预警编号" in download.content.decode("utf-8-sig")
    assert c.get(reverse("monitoring:dashboard")).status_code == 200


def test_the_fanpin_indicator_counts_each_subtype_and_those_also_assisted(world):
    from minzheng.monitoring.services import fanpin_coverage

    t1, y1 = world.persons["t1"], world.persons["y1"]
    for p in (t1[0], t1[1]):
        layer(p, "fanpin", "脱贫不稳定户")
    layer(t1[0], "dibao")
    layer(y1[0], "fanpin", "突发严重困难户")
    layer(y1[0], "tekun")
    layer(y1[1], "fanpin", "突发严重困难户")
    assert fanpin_coverage(world.users["nation"], AS_OF) == {
        "脱贫不稳定户": {"persons": 2, "covered": 1},
        "突发严重困难户": {"persons": 2, "covered": 1},
    }
    assert fanpin_coverage(world.users["county1"], AS_OF) == {
        "脱贫不稳定户": {"persons": 2, "covered": 1}
    }


def test_fanpin_coverage_is_kept_per_jurisdiction_for_five_minutes(
    world, django_assert_num_queries
):
    from minzheng.monitoring.services import fanpin_coverage

    county1, county2 = world.users["county1"], world.users["county2"]
    first = fanpin_coverage(county1, AS_OF)
    with django_assert_num_queries(0):
        assert fanpin_coverage(county1, AS_OF) == first
    assert fanpin_coverage(county2, AS_OF) is not first  # another jurisdiction: its own count

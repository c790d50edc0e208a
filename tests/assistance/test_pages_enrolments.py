"""The 在保对象 and 到期复核 pages: list, search, detail, the county's actions, reviews."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from minzheng.accounts.models import AuditEvent
from minzheng.assistance.models import Enrolment, EnrolmentChange, EnrolmentState, PaymentStatus
from minzheng.assistance.parameters import parameters_seed
from minzheng.assistance.payments import roster_generate
from tests.conftest import make_user
from tests.world import login

OCT = dt.date(2024, 10, 1)
ACCOUNT = "6222020200112233445"


@pytest.fixture
def enrolment(world, division):
    """t1 (五山街道, 天河区): 1000.00 a month from September, October paid, review overdue."""
    parameters_seed()
    e = Enrolment.objects.create(
        programme="dibao", household=world.households["t1"], payee=world.persons["t1"][0],
        division=division("440106"), amount_fen=100000, covered_persons=3,
        valid_from=dt.date(2024, 9, 1), next_review=dt.date(2024, 9, 1), bank_account=ACCOUNT,
    )  # fmt: skip
    roster = roster_generate(actor=None, county=division("440106"), programme="dibao", month=OCT)
    roster.roster.payments.update(status=PaymentStatus.PAID)
    return e


def url(e: Enrolment, step: str = "") -> str:
    return f"/assistance/enrolments/{e.uid}/" + (f"{step}/" if step else "")


def test_the_list_searches_and_filters_within_the_jurisdiction(world, enrolment, client):
    payee = world.persons["t1"][0]
    login(client, world.users["county1"])
    page = client.get("/assistance/enrolments/").content.decode()
    assert payee.name in page and payee.id_number not in page  # masked
    for q in (payee.name, payee.id_number, "T1-HH", world.persons["t1"][2].name):
        assert payee.name in client.get("/assistance/enrolments/", {"q": q}).content.decode(), q
    assert payee.name not in client.get("/assistance/enrolments/", {"q": "无此人"}).content.decode()
    assert (
        payee.name
        not in client.get("/assistance/enrolments/", {"programme": "tekun"}).content.decode()
    )
    assert (
        payee.name
        in client.get(
            "/assistance/enrolments/", {"state": "active", "programme": "dibao"}
        ).content.decode()
    )
    search = AuditEvent.objects.filter(action="search", object_type="enrolment").first()
    assert search is not None and payee.id_number not in str(search.changes)
    # Another county (and a township, whose enrolments are decided by the county) see none.
    for who in ("county2", "town1"):
        login(client, world.users[who])
        assert payee.name not in client.get("/assistance/enrolments/").content.decode()
        assert client.get(url(enrolment)).status_code == 404


def test_the_export_opens_with_masked_ids_and_is_audited(world, enrolment, client):
    login(client, world.users["county1"])
    resp = client.get("/assistance/enrolments/export/", {"q": "T1-HH"})
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(resp.content)).active.values)
    assert rows[0][:3] == ("家庭户", "领取人", "公民身份号码")
    assert rows[1][0] == "T1-HH" and rows[1][1] == "甲一" and rows[1][7] == "1000.00"
    assert "*" in rows[1][2] and world.persons["t1"][0].id_number not in str(rows)
    assert AuditEvent.objects.filter(action="export", object_type="enrolment", rows=1).exists()


def test_the_detail_masks_the_account_and_audits_the_read(world, enrolment, client):
    login(client, world.users["county1"])
    page = client.get(url(enrolment)).content.decode()
    assert "1,000.00" in page and "2024-10" in page  # the amount and the paid month
    assert ACCOUNT not in page and "6222 **** 3445" in page
    assert AuditEvent.objects.filter(
        action="read", object_type="enrolment", object_id=str(enrolment.uid)
    ).exists()


def test_recompute_shows_the_back_pay_before_it_changes_anything(world, enrolment, client):
    login(client, world.users["county1"])
    form = {"amount": "1200", "effective": "2024-10", "reason": "收入减少"}
    page = client.post(url(enrolment, "preview"), form).content.decode()
    assert 'id="recompute-preview"' in page and 'id="adjustment">200.00' in page
    enrolment.refresh_from_db()
    assert enrolment.amount_fen == 100000 and not EnrolmentChange.objects.exists()
    resp = client.post(url(enrolment, "recompute"), {**form, "amount": "1,200.00"}, follow=True)
    enrolment.refresh_from_db()
    assert enrolment.amount_fen == 120000
    change = EnrolmentChange.objects.get(enrolment=enrolment)
    assert (change.adjustment_fen, change.reason) == (20000, "收入减少")
    page = resp.content.decode()
    assert "收入减少" in page and "待结算" in page
    # Bad input is refused with its reason in both languages.
    page = client.post(url(enrolment, "preview"), {**form, "amount": "12.345"}, follow=True)
    assert "金额须为非负数且精确到分 / amount" in page.content.decode()


def test_only_the_county_approvers_change_an_enrolment(world, enrolment, client):
    reviewer = make_user("reviewer1", "440106", "reviewer")
    login(client, reviewer)
    resp = client.post(url(enrolment, "suspend"), {"reason": "探测"}, follow=True)
    assert "只有本县（区）审批人员可以办理此操作 / only" in resp.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ACTIVE
    login(client, world.users["county2"])
    assert client.post(url(enrolment, "suspend"), {"reason": "x"}).status_code == 404
    assert client.post(url(enrolment, "nonsense")).status_code in (404, 302)


def test_suspend_resume_gradual_exit_and_terminate(world, enrolment, client):
    login(client, world.users["county1"])
    resp = client.post(url(enrolment, "suspend"), {"reason": ""}, follow=True)
    assert "请填写暂停原因" in resp.content.decode()
    client.post(url(enrolment, "suspend"), {"reason": "未按时复核"})
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.SUSPENDED
    client.post(url(enrolment, "resume"))
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ACTIVE
    client.post(url(enrolment, "gradual_exit"), {"on": "2024-10-10"})
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.GRADUAL_EXIT and enrolment.exit_until
    resp = client.post(url(enrolment, "terminate"), {"reason": "bogus"}, follow=True)
    assert "终止原因无效" in resp.content.decode()
    client.post(url(enrolment, "terminate"), {"reason": "moved", "on": "2024-11-15"})
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.TERMINATED and enrolment.end_reason == "moved"
    assert enrolment.valid_to == dt.date(2024, 12, 1)
    assert "迁出" in client.get(url(enrolment)).content.decode()


def test_reviews_due_and_recording_one(world, enrolment, client):
    payee = world.persons["t1"][0].name
    login(client, world.users["county2"])
    assert payee not in client.get("/assistance/reviews/").content.decode()
    login(client, world.users["county1"])
    page = client.get("/assistance/reviews/").content.decode()
    assert payee in page and "已超期" in page
    resp = client.post(url(enrolment, "review"), {"on": "2024-10-01", "back": "reviews"})
    assert resp.status_code == 302 and resp["Location"].endswith("/assistance/reviews/")
    enrolment.refresh_from_db()
    assert enrolment.next_review in (dt.date(2025, 4, 1), dt.date(2025, 10, 1))
    # Due again only within the horizon the service gives.
    Enrolment.objects.filter(pk=enrolment.pk).update(
        next_review=dt.date.today() + dt.timedelta(days=10)
    )
    assert payee not in client.get("/assistance/reviews/").content.decode()
    assert payee in client.get("/assistance/reviews/", {"ahead": "30"}).content.decode()


def test_the_standard_raise_previews_per_township_then_applies(world, enrolment, client):
    from minzheng.assistance.parameters import parameter_set

    parameter_set(actor=None, name="dibao_urban_fen", division_prefix="440106", value=110000,
                  valid_from=dt.date(2025, 1, 1))  # fmt: skip
    for who in ("town1", "nation"):  # a township caseworker, a national analyst
        login(client, world.users[who])
        assert client.get("/assistance/raise/").status_code == 403
    login(client, world.users["county1"])
    assert client.get("/assistance/raise/").status_code == 200
    form = {"programme": "dibao", "effective": "2025-01-01"}
    page = client.post("/assistance/raise/", {**form, "action": "preview"}).content.decode()
    assert 'id="raise-preview"' in page and "五山街道" in page
    assert 'id="raise-changed">1<' in page and 'id="raise-total">2,300.00<' in page
    enrolment.refresh_from_db()
    assert enrolment.amount_fen == 100000  # a preview changes nothing
    digest = page.split('name="digest" value="')[1].split('"')[0]
    resp = client.post("/assistance/raise/", {**form, "action": "apply", "digest": "stale",
                                              "reason": "2025 年提标"}, follow=True)  # fmt: skip
    assert "预览后数据已变化，请重新预览 / the data changed" in resp.content.decode()
    resp = client.post("/assistance/raise/", {**form, "action": "apply", "digest": digest,
                                              "reason": "2025 年提标"}, follow=True)  # fmt: skip
    assert "已调整 1 户" in resp.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.amount_fen == 330000
    assert EnrolmentChange.objects.get(enrolment=enrolment).reason == "2025 年提标"
    # Another county's preview does not include this household.
    login(client, world.users["county2"])
    page = client.post("/assistance/raise/", {**form, "action": "preview"}).content.decode()
    assert "五山街道" not in page and 'id="raise-households">0<' in page

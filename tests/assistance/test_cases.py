"""The case workflow: intake to decision, maker–checker, publicity, deadlines on the
official calendar, routing across provinces, concurrent decisions."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.assistance import cases as svc
from minzheng.assistance.models import Case, CaseEvent, CaseState, Enrolment
from minzheng.assistance.parameters import parameter_set, parameters_seed
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("calendar")

AUTH = b"%PDF-1.4 signed authorisation"


@pytest.fixture
def calendar(db):
    from minzheng.workdays.services import calendar_seed

    calendar_seed()
    parameters_seed()


@pytest.fixture
def reviewer(db):
    return make_user("reviewer1", "440106", "reviewer")


def started(world, *, on=dt.date(2024, 9, 2)) -> Case:
    town1 = world.users["town1"]
    case = svc.case_apply(actor=town1, household=world.households["t1"], programme="dibao", on=on)
    return svc.case_accept(actor=town1, case=case, on=on)


def investigated(world, on=dt.date(2024, 9, 3)) -> Case:
    town1 = world.users["town1"]
    case = started(world)
    svc.case_attach(actor=town1, case=case, kind="authorisation", name="授权书.pdf", content=AUTH)
    svc.case_visit(actor=town1, case=case, visited_on=on, visitors="张三、李四",
                   checklist={"住房": "自有一套", "车辆": "无"})  # fmt: skip
    return svc.case_investigate(actor=town1, case=case, on=on)


def publicised(world, reviewer) -> Case:
    case = investigated(world)
    case = svc.case_review(actor=reviewer, case=case, recommend=True, on=dt.date(2024, 9, 4))
    case = svc.case_publicise(actor=world.users["town1"], case=case, on=dt.date(2024, 9, 5))
    return svc.case_close_publicity(actor=world.users["town1"], case=case, on=dt.date(2024, 9, 12))


def test_intake_to_approval_enrols_the_household(world, reviewer):
    case = publicised(world, reviewer)
    assert case.state == CaseState.PUBLICISED
    # The data check read the registry: 3 members, no income → 3 × 706.60 = 2119.80.
    assert case.assessment["eligible"] is True
    assert case.assessment["amount_fen"] == 3 * 70660
    case = svc.case_decide(actor=world.users["county1"], case=case, approve=True,
                           on=dt.date(2024, 9, 20))  # fmt: skip
    assert case.state == CaseState.APPROVED and case.amount_fen == 211980
    enrolment = Enrolment.objects.get(case=case)
    assert enrolment.valid_from == dt.date(2024, 10, 1)  # paid from the month after approval
    assert enrolment.amount_fen == 211980 and enrolment.covered_persons == 3
    # Every step is on the household's timeline.
    steps = list(
        AuditEvent.objects.filter(household_id=world.households["t1"].pk, object_type="case")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert steps == [
        "case_apply", "case_accept", "case_attach", "case_visit", "case_investigate",
        "case_review", "case_publicise", "case_close_publicity", "case_approve",
    ]  # fmt: skip


def test_data_check_needs_the_signed_authorisation_and_a_visit(world):
    town1 = world.users["town1"]
    case = started(world)
    with pytest.raises(svc.CaseError) as err:
        svc.case_investigate(actor=town1, case=case)
    assert err.value.code == "no_authorisation"
    svc.case_attach(actor=town1, case=case, kind="authorisation", name="a.pdf", content=AUTH)
    with pytest.raises(svc.CaseError) as err:
        svc.case_investigate(actor=town1, case=case)
    assert err.value.code == "no_visit"


def test_maker_checker_refuses_the_reviewer_and_the_maker(world, reviewer):
    case = publicised(world, reviewer)
    # A reviewer who is also an approver reviewed this case: cannot decide it.
    from django.contrib.auth.models import Group

    reviewer.groups.add(Group.objects.get(name="approver"))
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    with pytest.raises(svc.CaseError) as err:
        svc.case_decide(actor=reviewer, case=case, approve=True)
    assert err.value.code == "maker_checker"
    # The maker: a county approver who entered a case cannot decide it either.
    maker = make_user("maker", "440106", "approver", "caseworker")
    other = svc.case_apply(actor=maker, household=world.households["t2"], programme="dibao",
                           received_division=world.households["t2"].hukou_division)  # fmt: skip
    Case.objects.filter(pk=other.pk).update(state=CaseState.PUBLICISED)
    other = Case.objects.get(pk=other.pk)
    with pytest.raises(svc.CaseError) as err:
        svc.case_decide(actor=maker, case=other, approve=True, amount_fen=1000)
    assert err.value.code == "maker_checker"
    # A caseworker may not decide at all; another county's approver neither.
    for user in (world.users["town1"], world.users["county2"]):
        with pytest.raises(svc.CaseError) as err:
            svc.case_decide(actor=user, case=case, approve=True)
        assert err.value.code == "forbidden"
    assert Case.objects.get(pk=case.pk).state == CaseState.PUBLICISED


def test_publicity_lasts_seven_days_and_objections_must_be_verified(world, reviewer):
    town1 = world.users["town1"]
    case = investigated(world)
    case = svc.case_review(actor=reviewer, case=case, recommend=True)
    case = svc.case_publicise(actor=town1, case=case, on=dt.date(2024, 9, 5))
    assert case.publicity_until == dt.date(2024, 9, 12)
    with pytest.raises(svc.CaseError) as err:
        svc.case_close_publicity(actor=town1, case=case, on=dt.date(2024, 9, 11))
    assert err.value.code == "publicity_running" and "2024-09-12" in err.value.message
    objection = svc.case_object(actor=town1, case=case, received_on=dt.date(2024, 9, 6),
                                content="邻居反映其子女有经营收入", raised_by="匿名")  # fmt: skip
    with pytest.raises(svc.CaseError) as err:
        svc.case_close_publicity(actor=town1, case=case, on=dt.date(2024, 9, 12))
    assert err.value.code == "objections_open"
    svc.objection_resolve(actor=town1, objection=objection, resolution="经核实，子女无经营收入")
    case = svc.case_close_publicity(actor=town1, case=case, on=dt.date(2024, 9, 12))
    assert case.state == CaseState.PUBLICISED


def test_acceptance_deadline_counts_working_days_over_national_day(world):
    # 广州天河 shortens the deadline to 3 working days. Accepted Friday 2024-09-27:
    # Sunday 29 Sep is a make-up working day (1), Monday 30 Sep (2), 1–7 Oct is the
    # National Day holiday, Tuesday 8 Oct (3).
    parameter_set(actor=None, name="deadline_days", division_prefix="440106", value=3,
                  valid_from=dt.date(2024, 1, 1))  # fmt: skip
    case = started(world, on=dt.date(2024, 9, 27))
    assert case.deadline == dt.date(2024, 10, 8)
    assert case.deadline_note == ""


def test_refusal_notice_deadline_and_escalation(world, reviewer):
    case = investigated(world)
    # Refused on Monday 30 Sep 2024: 3 working days → 8, 9, 10 Oct (1–7 Oct is a holiday).
    case = svc.case_decide(actor=world.users["county1"], case=case, approve=False,
                           reason="家庭人均收入高于当地低保标准", on=dt.date(2024, 9, 30))  # fmt: skip
    assert case.state == CaseState.REFUSED and case.notice_due == dt.date(2024, 10, 10)
    with pytest.raises(svc.CaseError):
        svc.case_decide(actor=world.users["county1"], case=case, approve=False, reason="")
    todo = svc.cases_todo(world.users["town1"], today=dt.date(2024, 10, 11))
    assert todo[0].pk == case.pk and svc.is_overdue(todo[0], dt.date(2024, 10, 11))
    assert svc.cases_escalate(dt.date(2024, 10, 10)) == 0  # due today: not overdue yet
    assert svc.cases_escalate(dt.date(2024, 10, 11)) == 1
    assert svc.cases_escalate(dt.date(2024, 10, 12)) == 0  # flagged once
    svc.case_notify(actor=world.users["town1"], case=case, on=dt.date(2024, 10, 11))
    assert CaseEvent.objects.filter(case=case, action="notify").get().data == {"late": True}
    assert svc.cases_todo(world.users["town1"], today=dt.date(2024, 10, 12)) == []


def test_a_deadline_beyond_the_calendar_warns_instead_of_failing(world):
    case = started(world, on=dt.date(2026, 12, 20))  # runs into 2027, not yet published
    assert case.deadline is not None and case.deadline.year == 2027
    assert "2027" in case.deadline_note


def test_an_application_received_in_another_province_is_routed_to_the_hukou_county(world):
    beijing = make_user("bj-town", "110101", "caseworker")
    hh = world.households["t1"]  # hukou 440106001 (广州天河)
    case = svc.case_apply(actor=beijing, household=hh, programme="dibao")
    assert case.non_hukou is True
    assert case.responsible_division.code == "440106000000"
    # Visible to both the receiving caseworker and the responsible county, nobody else.
    assert Case.objects.visible_to(beijing).filter(pk=case.pk).exists()
    assert Case.objects.visible_to(world.users["county1"]).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(world.users["county2"]).filter(pk=case.pk).exists()
    # Only the responsible county decides.
    with pytest.raises(svc.CaseError) as err:
        svc.case_decide(actor=make_user("bj-approver", "110101", "approver"), case=case,
                        approve=False, reason="x")  # fmt: skip
    assert err.value.code == "forbidden"


def test_temporary_assistance_away_from_hukou_is_decided_where_it_happened(world):
    yuexiu = make_user("yx-town", "440104003", "caseworker")
    case = svc.case_apply(actor=yuexiu, household=world.households["t1"], programme="temporary",
                          urgent=True, need_fen=200000)  # fmt: skip
    assert case.non_hukou and case.responsible_division.code == "440104000000"
    assert case.urgent


def test_one_open_application_per_programme(world):
    started(world)
    with pytest.raises(svc.CaseError) as err:
        svc.case_apply(actor=world.users["town1"], household=world.households["t1"],
                       programme="dibao")  # fmt: skip
    assert err.value.code == "duplicate"


def test_two_approvers_with_stale_copies_leave_exactly_one_decision(world, reviewer):
    case = publicised(world, reviewer)
    other = make_user("county1b", "440106", "approver")
    a, b = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    svc.case_decide(actor=world.users["county1"], case=a, approve=True)
    with pytest.raises(svc.CaseError) as err:
        svc.case_decide(actor=other, case=b, approve=False, reason="重复")
    assert err.value.code in ("bad_state", "concurrent")
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED
    assert CaseEvent.objects.filter(case=case, action__in=["approve", "refuse"]).count() == 1
    assert Enrolment.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_in_two_threads_leave_one_decision(world, reviewer):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: two real concurrent transactions need PostgreSQL")
    case = publicised(world, reviewer)
    approvers = [world.users["county1"], make_user("county1b", "440106", "approver")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(user):  # type: ignore[no-untyped-def]
        from django.db import connections

        try:
            stale = Case.objects.get(pk=case.pk)
            barrier.wait()
            svc.case_decide(actor=user, case=stale, approve=True)
            outcomes.append("ok")
        except svc.CaseError as err:
            outcomes.append(err.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1
    assert CaseEvent.objects.filter(case=case, action="approve").count() == 1
    assert Enrolment.objects.filter(case=case).count() == 1


def test_pages_from_intake_to_the_todo_list(world, client, reviewer):
    """The case pages with Django's client: intake, a refused step, the to-do list."""
    from tests.world import login

    login(client, world.users["town1"])
    hh = world.households["t1"]
    resp = client.post(
        f"/assistance/cases/new/{hh.uid}/", {"programme": "dibao", "channel": "in_person"}
    )
    case = Case.objects.get(household=hh)
    assert resp.status_code == 302 and resp["Location"].endswith(f"/assistance/cases/{case.uid}/")
    client.post(f"/assistance/cases/{case.uid}/accept/")
    resp = client.post(f"/assistance/cases/{case.uid}/investigate/", follow=True)
    assert "核对授权书" in resp.content.decode()  # refused with its reason, no traceback
    page = client.get("/assistance/cases/").content.decode()
    assert case.ref in page
    # Another county's user gets a 404 for the case and sees nothing of it.
    login(client, world.users["county2"])
    assert client.get(f"/assistance/cases/{case.uid}/").status_code == 404
    assert case.ref not in client.get("/assistance/cases/").content.decode()


def test_simulation_page_runs_a_job_and_exports(world, client):
    from tests.world import login

    parameters_seed()
    login(client, world.users["county1"])
    resp = client.post("/assistance/simulate/",
                       {"division": "440106", "changes": "dibao_standard=+10%", "date": "2024-07-01"})  # fmt: skip
    assert resp.status_code == 302
    page = client.get(resp["Location"]).content.decode()
    assert "合计" in page and 'id="simulation"' in page
    xlsx = client.get(resp["Location"] + "&export=1")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    # Outside the jurisdiction: refused.
    resp = client.post("/assistance/simulate/", {"division": "440104", "changes": "dibao_standard=+10%"},
                       follow=True)  # fmt: skip
    assert "只能模拟本辖区" in resp.content.decode()


def test_emergency_temporary_assistance_pays_a_small_amount_first(world):
    yuexiu = make_user("yx-town2", "440104003", "caseworker")
    case = svc.case_apply(actor=yuexiu, household=world.households["t1"], programme="temporary",
                          urgent=True, need_fen=200000, on=dt.date(2024, 9, 27))  # fmt: skip
    # Cap: 1 month of the standard (national default 706.60).
    with pytest.raises(svc.CaseError) as err:
        svc.case_pay_first(actor=yuexiu, case=case, amount_fen=70661, on=dt.date(2024, 9, 27))
    assert err.value.code == "amount"
    payment = svc.case_pay_first(actor=yuexiu, case=case, amount_fen=50000, on=dt.date(2024, 9, 29))
    assert payment.kind == "once" and payment.roster.division.code == "440104000000"
    event = CaseEvent.objects.get(case=case, action="pay_first")
    assert event.data["late"] is False and event.data["due"] == "2024-10-08"
    with pytest.raises(svc.CaseError) as err:
        svc.case_pay_first(actor=yuexiu, case=case, amount_fen=100, on=dt.date(2024, 9, 30))
    assert err.value.code == "paid"
    # A dibao case cannot pay first.
    other = started(world)
    with pytest.raises(svc.CaseError) as err:
        svc.case_pay_first(actor=world.users["town1"], case=other, amount_fen=100)
    assert err.value.code == "not_urgent"

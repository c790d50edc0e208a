"""The case workflow: every transition is a service here, recorded as an event.

application → acceptance → household economic investigation (home visit + data check,
the applicant's signed authorisation first) → township preliminary review → publicity
(7 days, objections recorded) → county decision by someone other than the maker or the
reviewer → notice (refusals within 3 working days). Deadlines count working days on the
official calendar (``minzheng.workdays``). Each step writes a :class:`CaseEvent` and an
audit row carrying the household, so it appears on the household's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from minzheng.accounts.models import User
from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_record
from minzheng.assistance.models import (
    OPEN_STATES,
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    CaseState,
    Channel,
    Enrolment,
    HomeVisit,
    Objection,
    Programme,
)
from minzheng.assistance.parameters import parameter_lookup
from minzheng.core.errors import BilingualError
from minzheng.divisions.models import Division, Level
from minzheng.registry.models import Household, Person

STATE_NAMES = dict(CaseState.choices)


class CaseError(BilingualError):
    pass


def _fail(code: str, zh: str, en: str) -> CaseError:
    return CaseError(code, zh, en)


# --- helpers ------------------------------------------------------------------------------
def county_of(division: Division) -> Division:
    """The county (level 3) a township or village belongs to (itself at county level)."""
    d = division
    while d.level > Level.COUNTY and d.parent is not None:
        d = d.parent
    return d


def parameter_value(name: str, division: Division, on: dt.date) -> int:
    found = parameter_lookup(name, division.code[: len(division.prefix)], on)
    if found is None:
        from minzheng.assistance.catalogue import SPECS

        return SPECS[name].default
    return found.value


def _event(
    case: Case,
    actor: User | None,
    action: str,
    before: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    CaseEvent.objects.create(
        case=case,
        actor=actor,
        action=action,
        from_state=before,
        to_state=case.state,
        note=note,
        data=data or {},
    )
    title = STATE_NAMES.get(case.state, case.state)
    audit_record(
        actor=actor,
        events=[
            Audit(
                action=f"case_{action}",
                object_type="case",
                object_id=case.ref,
                household_id=case.household_id,
                changes={"from": before, "to": case.state, **(data or {})},
                summary=f"{case.get_programme_display()} {case.ref}：{title}"
                + (f"（{note[:80]}）" if note else ""),
            )
        ],
    )


def _may_work(actor: User, case: Case) -> None:
    """Township and county staff of either division the case belongs to."""
    if not actor.can_edit_registry or not (
        covers(actor, case.received_division) or covers(actor, case.responsible_division)
    ):
        raise _fail("forbidden", "无权办理此案件", "you may not work on this case")


def _transition(case: Case, actor: User, action: str, move: str, **fields: Any) -> Case:
    """Apply the model transition ``move`` and ``fields`` in one conditional UPDATE."""
    before = case.state
    try:
        getattr(case, move)()
    except TransitionNotAllowed:
        raise _fail(
            "bad_state",
            f"案件当前为“{STATE_NAMES.get(before, before)}”，不能执行此操作",
            f"the case is {before}; this step is not possible now",
        ) from None
    for k, v in fields.items():
        setattr(case, k, v)
    try:
        case.save()
    except ConcurrentTransition:
        raise _fail(
            "concurrent",
            "案件已被他人处理，请刷新后重试",
            "someone else changed this case at the same time; reload and try again",
        ) from None
    return case


def _fresh(case: Case) -> Case:
    """Lock the case row for the rest of the transaction and read its current state."""
    return Case.objects.select_for_update().get(pk=case.pk)


# --- application --------------------------------------------------------------------------
@transaction.atomic
def case_apply(
    *,
    actor: User,
    household: Household,
    programme: str,
    channel: str = Channel.IN_PERSON,
    received_division: Division | None = None,
    applicant: Person | None = None,
    proxy_name: str = "",
    on: dt.date | None = None,
    urgent: bool = False,
    need_fen: int = 0,
    declaration: dict[str, Any] | None = None,
) -> Case:
    """Register an application where it was received (routed to the responsible county).

    A 低保 or 特困 application is decided by the county of the household's hukou; one
    received at another township (even in another province) is routed there and both see
    it. Temporary assistance may be decided where the emergency happened (非户籍地).
    """
    if programme not in Programme.values:
        raise _fail("bad_programme", "未知的救助项目", f"unknown programme {programme!r}")
    if channel not in Channel.values:
        raise _fail("bad_channel", "未知的申请方式", f"unknown channel {channel!r}")
    if channel == Channel.PROXY and not proxy_name.strip():
        raise _fail("proxy_name", "委托代办须填写代办人", "a proxy application needs the proxy")
    received = received_division or actor.division
    if received is None or received.level < Level.COUNTY:
        raise _fail(
            "received_division",
            "须指明受理申请的乡镇（街道）",
            "the township that received the application is required",
        )
    if not actor.can_edit_registry or not covers(actor, received):
        raise _fail("forbidden", "无权在该区划受理申请", "you may not receive applications there")
    hukou = household.hukou_division
    if hukou is None:
        raise _fail("no_hukou", "家庭户籍地未登记", "the household has no hukou division")
    responsible = county_of(hukou)
    if programme == Programme.TEMPORARY and county_of(received).pk != responsible.pk:
        responsible = county_of(received)  # 非户籍地临时救助: decided where it happened
    if Case.objects.filter(
        household=household, programme=programme, state__in=OPEN_STATES
    ).exists():
        raise _fail(
            "duplicate",
            "该家庭已有办理中的同类申请",
            "the household already has an open application for this programme",
        )
    day = on or dt.date.today()
    case = Case.objects.create(
        ref=f"{programme[:2].upper()}{received.code[:6]}{day:%Y%m%d}{uuid.uuid4().hex[:6].upper()}",
        programme=programme,
        household=household,
        applicant=applicant or household.head,
        channel=channel,
        proxy_name=proxy_name.strip(),
        received_division=received,
        responsible_division=responsible,
        non_hukou=county_of(received).pk != county_of(hukou).pk,
        urgent=urgent and programme == Programme.TEMPORARY,
        emergency_need_fen=need_fen,
        declaration=declaration or {},
        applied_on=day,
        entered_by=actor,
    )
    _event(case, actor, "apply", "", data={"channel": channel, "non_hukou": case.non_hukou})
    return case


@transaction.atomic
def case_accept(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """受理: the deadline (working days, per the responsible county's parameter) starts."""
    from minzheng.workdays.selectors import add_working_days

    case = _fresh(case)
    _may_work(actor, case)
    day = on or dt.date.today()
    days = parameter_value("deadline_days", case.responsible_division, day)
    due = add_working_days(day, days)
    note = "；".join(w.message for w in due.warnings)
    _transition(case, actor, "accept", "accept", accepted_on=day, deadline=due.date,
                deadline_note=note[:200])  # fmt: skip
    _event(case, actor, "accept", CaseState.APPLIED, note=note,
           data={"deadline": due.date.isoformat(), "working_days": days})  # fmt: skip
    return case


# --- investigation ------------------------------------------------------------------------
def case_attach(*, actor: User, case: Case, kind: str, name: str, content: bytes) -> Attachment:
    """Keep a document with the case (its SHA-256 is recorded; the file is backed up)."""
    _may_work(actor, case)
    if kind not in AttachmentKind.values:
        raise _fail("bad_kind", "未知的材料类型", f"unknown attachment kind {kind!r}")
    if not content:
        raise _fail("empty", "文件为空", "the file is empty")
    if len(content) > 20 * 1024 * 1024:
        raise _fail("too_large", "文件超过 20 MB", "the file is larger than 20 MB")
    safe = "".join(ch for ch in name if ch not in '/\\:*?"<>|\x00')[-100:] or "file"
    att = Attachment(
        case=case,
        kind=kind,
        name=safe,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        uploaded_by=actor,
    )
    att.file.save(safe, ContentFile(content), save=False)
    att.save()
    _event(case, actor, "attach", case.state, note=safe, data={"kind": kind, "sha256": att.sha256})
    return att


def case_visit(
    *,
    actor: User,
    case: Case,
    visited_on: dt.date,
    visitors: str,
    checklist: dict[str, Any],
    findings: str = "",
) -> HomeVisit:
    """入户调查 record (checklist of what was seen: housing, appliances, vehicles …)."""
    _may_work(actor, case)
    if case.state not in (CaseState.ACCEPTED, CaseState.INVESTIGATED):
        raise _fail("bad_state", "受理后方可记录入户调查", "record a home visit after acceptance")
    if not visitors.strip():
        raise _fail("visitors", "须填写调查人员（至少两人）", "name the visitors")
    visit = HomeVisit.objects.create(
        case=case, visited_on=visited_on, visitors=visitors.strip(), checklist=checklist,
        findings=findings, recorded_by=actor,
    )  # fmt: skip
    _event(case, actor, "visit", case.state, note=findings[:200],
           data={"visited_on": visited_on.isoformat()})  # fmt: skip
    return visit


@transaction.atomic
def case_investigate(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """家庭经济状况核对 and close the investigation.

    Needs the applicant's signed authorisation (an attachment) before any data is read,
    and at least one home-visit record. The check evaluates the programme's rule set on
    the household's registry facts (incomes, assets, conditions) as of the day.
    """
    case = _fresh(case)
    _may_work(actor, case)
    if not case.attachments.filter(kind=AttachmentKind.AUTHORISATION).exists():
        raise _fail(
            "no_authorisation",
            "须先上传申请人签字的家庭经济状况核对授权书",
            "upload the applicant's signed authorisation for the economic check first",
        )
    if not case.visits.exists():
        raise _fail("no_visit", "须先记录入户调查", "record the home visit first")
    day = on or dt.date.today()
    assessment = household_check(case, day)
    _transition(case, actor, "investigate", "investigate", assessment=assessment)
    _event(case, actor, "investigate", CaseState.ACCEPTED,
           data={"eligible": assessment["eligible"], "amount_fen": assessment["amount_fen"]})  # fmt: skip
    return case


def household_check(case: Case, on: dt.date) -> dict[str, Any]:
    """The programme's rule set evaluated on the household's registry facts on ``on``."""
    from minzheng.assistance.assess import rulesets
    from minzheng.assistance.batch import empty_inputs
    from minzheng.assistance.catalogue import engine_table
    from minzheng.assistance.parameters import effective_rows
    from minzheng.engine import snapshot_take
    from minzheng.engine.online import Online

    rs = rulesets()[case.programme]
    snap = snapshot_take(on=on, households=[case.household_id], via="connection")
    tables = dict(snap.tables)
    inputs = empty_inputs(rs)
    if "declaration" in inputs and case.declaration:
        import pyarrow as pa

        d = case.declaration
        inputs["declaration"] = pa.table(
            {
                "household_sk": [case.household_id],
                "supporters_able": [bool(d.get("supporters_able", False))],
                "care_mode": [str(d.get("care_mode", "dispersed"))],
                "emergency_type": ["emergency" if case.urgent else d.get("emergency_type")],
                "emergency_need_fen": [case.emergency_need_fen],
            },
            schema=inputs["declaration"].schema,
        )
    online = Online(
        rs,
        as_of=on,
        division=tables["division"],
        parameter=engine_table(effective_rows()),
    )
    try:
        found = online.evaluate({**{k: v for k, v in tables.items() if k != "division"}, **inputs})
    finally:
        online.close()
    flagged = [e for e in found if e.flag]
    return {
        "as_of": on.isoformat(),
        "rule": rs.key,
        "eligible": bool(flagged),
        "amount_fen": sum(int(e.amount_fen or 0) for e in flagged),
        "covered": sum(int(e.values.get("covered") or 1) for e in flagged),
        "reasons": [
            {"test": c.name, "title": c.title, "passed": bool(c.result), "text": c.text}
            for e in found
            for c in e.conditions
        ],
        "calculation": [e.amount_text for e in flagged if e.amount_text],
    }


# --- review and publicity -----------------------------------------------------------------
@transaction.atomic
def case_review(
    *, actor: User, case: Case, recommend: bool, note: str = "", on: dt.date | None = None
) -> Case:
    """乡镇初审: the township's opinion (recommend or not) before publicity."""
    case = _fresh(case)
    _may_work(actor, case)
    _transition(case, actor, "review", "review", reviewed_by=actor)
    _event(case, actor, "review", CaseState.INVESTIGATED, note=note,
           data={"recommend": recommend})  # fmt: skip
    return case


@transaction.atomic
def case_publicise(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """Start the publicity in the village: 7 (calendar) days by default."""
    case = _fresh(case)
    _may_work(actor, case)
    day = on or dt.date.today()
    days = parameter_value("publicity_days", case.responsible_division, day)
    _transition(case, actor, "publicise", "publicise", publicity_from=day,
                publicity_until=day + dt.timedelta(days=days))  # fmt: skip
    _event(case, actor, "publicise", CaseState.REVIEWED,
           data={"until": case.publicity_until.isoformat() if case.publicity_until else None})  # fmt: skip
    return case


def case_object(
    *, actor: User, case: Case, received_on: dt.date, content: str, raised_by: str = ""
) -> Objection:
    """Record an objection raised during publicity (to be verified before it closes)."""
    _may_work(actor, case)
    if case.state != CaseState.PUBLICITY:
        raise _fail(
            "bad_state", "只能在公示期间登记异议", "objections are recorded during publicity"
        )
    if not content.strip():
        raise _fail("content", "须填写异议内容", "the objection is empty")
    obj = Objection.objects.create(
        case=case, received_on=received_on, raised_by=raised_by, content=content, recorded_by=actor
    )
    _event(case, actor, "objection", case.state, note=content[:200])
    return obj


def objection_resolve(*, actor: User, objection: Objection, resolution: str) -> Objection:
    _may_work(actor, objection.case)
    if not resolution.strip():
        raise _fail("resolution", "须填写核实处理情况", "describe how it was verified")
    objection.resolution = resolution
    objection.save(update_fields=["resolution"])
    _event(objection.case, actor, "objection_resolved", objection.case.state, note=resolution[:200])
    return objection


@transaction.atomic
def case_close_publicity(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """End publicity once its days have passed and every objection has been verified."""
    case = _fresh(case)
    _may_work(actor, case)
    day = on or dt.date.today()
    if case.publicity_until is None or day < case.publicity_until:
        until = case.publicity_until.isoformat() if case.publicity_until else "—"
        raise _fail(
            "publicity_running",
            f"公示期未满（至 {until}）",
            f"the publicity period has not ended (until {until})",
        )
    if case.objections.filter(resolution="").exists():
        raise _fail(
            "objections_open",
            "公示期间的异议尚未核实处理",
            "objections raised during publicity are not yet resolved",
        )
    _transition(case, actor, "close_publicity", "close_publicity")
    _event(case, actor, "close_publicity", CaseState.PUBLICITY)
    return case


# --- decision and notice ------------------------------------------------------------------
@transaction.atomic
def case_decide(
    *,
    actor: User,
    case: Case,
    approve: bool,
    reason: str = "",
    amount_fen: int | None = None,
    on: dt.date | None = None,
) -> Case:
    """County decision, by an approver of the responsible county who neither entered nor
    reviewed the case. Approval enrols the household (paid from the next month); a
    refusal gives its reasons and must be notified within the refusal-notice deadline."""
    from minzheng.workdays.selectors import add_working_days

    case = _fresh(case)
    if not actor.has_role(Role.APPROVER) or not covers(actor, case.responsible_division):
        raise _fail(
            "forbidden",
            "须由负责审批的县级民政部门审批人员决定",
            "only an approver of the responsible county may decide",
        )
    if actor.pk in (case.entered_by_id, case.reviewed_by_id):
        raise _fail(
            "maker_checker",
            "录入或初审该案件的人员不能作出审批决定",
            "the person who entered or reviewed a case cannot decide it",
        )
    day = on or dt.date.today()
    if not approve and not reason.strip():
        raise _fail("reason", "不予批准须说明理由", "a refusal needs its reasons")
    before = case.state
    if approve:
        amount = case.assessment.get("amount_fen", 0) if amount_fen is None else amount_fen
        if amount <= 0 and case.programme != Programme.TEMPORARY:
            raise _fail("amount", "核定金额须大于零", "the approved amount must be above zero")
        _transition(case, actor, "approve", "approve", decided_on=day, decided_by=actor,
                    decision_reason=reason, amount_fen=amount, noticed_on=day,
                    covered_persons=case.assessment.get("covered", 1))  # fmt: skip
        enrolment = enrol(case, day)
        _event(case, actor, "approve", before, note=reason,
               data={"amount_fen": amount, "enrolment": str(enrolment.uid)})  # fmt: skip
    else:
        days = parameter_value("refusal_notice_days", case.responsible_division, day)
        due = add_working_days(day, days)
        _transition(case, actor, "refuse", "refuse", decided_on=day, decided_by=actor,
                    decision_reason=reason, notice_due=due.date)  # fmt: skip
        _event(case, actor, "refuse", before, note=reason,
               data={"notice_due": due.date.isoformat()})  # fmt: skip
    return case


def case_notify(*, actor: User, case: Case, on: dt.date | None = None) -> Case:
    """Record that the refusal notice (with its reasons) was served."""
    _may_work(actor, case)
    if case.state != CaseState.REFUSED or case.noticed_on is not None:
        raise _fail("bad_state", "只有未告知的不予批准决定需要告知", "nothing to notify")
    case.noticed_on = on or dt.date.today()
    Case.objects.filter(pk=case.pk).update(noticed_on=case.noticed_on)
    _event(case, actor, "notify", case.state,
           data={"late": bool(case.notice_due and case.noticed_on > case.notice_due)})  # fmt: skip
    return case


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, reason: str) -> Case:
    case = _fresh(case)
    _may_work(actor, case)
    before = case.state
    _transition(case, actor, "withdraw", "withdraw", decision_reason=reason)
    _event(case, actor, "withdraw", before, note=reason)
    return case


def first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    import calendar

    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def enrol(case: Case, day: dt.date) -> Enrolment:
    """The enrolment an approval creates: paid from the month after approval."""
    from minzheng.registry.models import Person

    start = first_of_next_month(day)
    members = Person.objects.filter(household_id=case.household_id).active()
    working = any(p.birth_date and 18 <= (day - p.birth_date).days // 365 < 60 for p in members)
    interval = parameter_value(
        "review_months_working" if working else "review_months_stable",
        case.responsible_division,
        day,
    )
    payee = case.applicant or case.household.head
    if payee is None:
        raise _fail("no_payee", "家庭没有户主或申请人，无法确定领取人", "no payee")
    return Enrolment.objects.create(
        programme=case.programme,
        household=case.household,
        payee=payee,
        division=case.responsible_division,
        case=case,
        amount_fen=case.amount_fen,
        covered_persons=max(case.covered_persons, 1),
        valid_from=start,
        next_review=add_months(start, interval),
        bank_account=str(case.declaration.get("bank_account", ""))[:40],
    )


# --- to-do and escalation -----------------------------------------------------------------
def cases_todo(actor: User, today: dt.date | None = None) -> list[Case]:
    """Open cases and unserved refusals the actor can work on, overdue first."""
    day = today or dt.date.today()
    qs = (
        Case.objects.visible_to(actor)
        .filter(state__in=[*OPEN_STATES, CaseState.REFUSED])
        .exclude(state=CaseState.REFUSED, noticed_on__isnull=False)
        .select_related("household", "received_division", "responsible_division")
    )
    found = list(qs)
    found.sort(key=lambda c: (not is_overdue(c, day), c.deadline or c.notice_due or dt.date.max))
    return found


def is_overdue(case: Case, day: dt.date) -> bool:
    if case.state == CaseState.REFUSED:
        return case.noticed_on is None and case.notice_due is not None and day > case.notice_due
    return case.deadline is not None and day > case.deadline and case.state in OPEN_STATES


def cases_escalate(today: dt.date | None = None) -> int:
    """Flag overdue cases (once) for the county's supervision; returns how many."""
    day = today or dt.date.today()
    n = 0
    for case in Case.objects.filter(escalated=False).filter(
        state__in=[*OPEN_STATES, CaseState.REFUSED]
    ):
        if is_overdue(case, day):
            Case.objects.filter(pk=case.pk).update(escalated=True)
            case.escalated = True
            _event(case, None, "escalate", case.state, note=f"逾期督办 {day.isoformat()}")
            n += 1
    return n


@transaction.atomic
def case_pay_first(*, actor: User, case: Case, amount_fen: int, on: dt.date | None = None) -> Any:
    """急难型临时救助先行救助: a small amount paid at once (capped at the region's months of the
    standard), the review following afterwards. Written as a one-off payment on the
    county's temporary-assistance roster of the month; late payments are flagged."""
    from minzheng.assistance.models import Payment, Roster
    from minzheng.workdays.selectors import add_working_days

    case = _fresh(case)
    _may_work(actor, case)
    if case.programme != Programme.TEMPORARY or not case.urgent:
        raise _fail(
            "not_urgent", "只有急难型临时救助可以先行救助", "only emergency temporary assistance"
        )
    if case.state not in (CaseState.APPLIED, CaseState.ACCEPTED):
        raise _fail("bad_state", "先行救助须在受理前后立即办理", "pay first right after intake")
    day = on or dt.date.today()
    months = parameter_value("temp_emergency_months", case.responsible_division, day)
    standard = parameter_value("dibao_urban_fen", case.responsible_division, day)
    cap = months * standard
    if amount_fen <= 0 or amount_fen > cap:
        raise _fail("amount", f"先行救助金额须在 0 至 {cap / 100:.2f} 元之间",
                    f"the first payment must be between 0 and {cap / 100:.2f} yuan")  # fmt: skip
    payee = case.applicant or case.household.head
    if payee is None:
        raise _fail("no_payee", "没有领取人", "no payee")
    month = day.replace(day=1)
    roster, _ = Roster.objects.get_or_create(
        division=case.responsible_division, programme=Programme.TEMPORARY, month=month
    )
    enrolment, _ = Enrolment.objects.get_or_create(
        programme=Programme.TEMPORARY, household=case.household, payee=payee,
        state="active", defaults={"division": case.responsible_division, "case": case,
                                 "amount_fen": 0, "valid_from": day, "valid_to": day + dt.timedelta(days=1)},
    )  # fmt: skip
    if Payment.objects.filter(payee=payee, programme=Programme.TEMPORARY, month=month,
                              kind="once").exists():  # fmt: skip
        raise _fail("paid", "本月已先行救助", "already paid first this month")
    payment = Payment.objects.create(roster=roster, enrolment=enrolment, payee=payee,
                                     programme=Programme.TEMPORARY, month=month, kind="once",
                                     amount_fen=amount_fen)  # fmt: skip
    due = add_working_days(case.applied_on, parameter_value("temp_emergency_days",
                                                            case.responsible_division, day))  # fmt: skip
    late = day > due.date
    _event(case, actor, "pay_first", case.state, note=f"先行救助 {amount_fen / 100:.2f} 元",
           data={"amount_fen": amount_fen, "due": due.date.isoformat(), "late": late})  # fmt: skip
    return payment

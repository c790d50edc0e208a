"""A warning's lifecycle: verify (home visit) → act (case, referral or no action) → close;
overdue warnings escalate to the county; exports of what a user may see.

Every step is one transaction that locks the warning row, checks the state and the actor's
jurisdiction, writes an :class:`AlertEvent` and an audit row carrying the household (so the
step appears on the household's one assistance chain).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_export, audit_record
from minzheng.core.errors import BilingualError
from minzheng.core.xlsx import safe_cell
from minzheng.identity.resident_id import mask
from minzheng.monitoring.alerts import (
    OPEN_ALERT_STATES,
    Alert,
    AlertEvent,
    AlertStatus,
    Outcome,
    Severity,
)

STATUS_NAMES = dict(AlertStatus.choices)


class AlertError(BilingualError):
    pass


def _may_work(actor: User, alert: Alert) -> None:
    if not actor.can_edit_registry or not covers(actor, alert.division):
        raise AlertError("forbidden", "无权处理此预警", "you may not work on this warning")


def _locked(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update().select_related("division", "household").get(pk=alert.pk)
    )


def _step(alert: Alert, actor: User | None, action: str, before: str, note: str = "") -> None:
    AlertEvent.objects.create(
        alert=alert, actor=actor, action=action, from_status=before, to_status=alert.status,
        note=note[:2000],
    )  # fmt: skip
    title = STATUS_NAMES.get(alert.status, alert.status)
    audit_record(
        actor=actor,
        events=[
            Audit(
                action=f"alert_{action}",
                object_type="alert",
                object_id=alert.pk,
                household_id=alert.household_id,
                changes={"from": before, "to": alert.status},
                summary=f"预警 {alert.rule}：{title}" + (f"（{note[:80]}）" if note else ""),
            )
        ],
    )


def _expect(alert: Alert, *states: str) -> None:
    if alert.status not in states:
        now = STATUS_NAMES.get(alert.status, alert.status)
        raise AlertError(
            "bad_state",
            f"预警当前为“{now}”，不能执行此操作",
            f"the warning is {alert.status}; this step is not possible now",
        )


@transaction.atomic
def alert_verify(*, actor: User, alert: Alert, visit_result: str,
                 on: dt.date | None = None) -> Alert:  # fmt: skip
    """Record the home visit that verified the warning."""
    alert = _locked(alert)
    _may_work(actor, alert)
    _expect(alert, AlertStatus.OPEN)
    if not visit_result.strip():
        raise AlertError("visit_result", "请填写入户核实情况", "the visit result is required")
    before = alert.status
    alert.status, alert.verified_on = AlertStatus.VERIFIED, on or dt.date.today()
    alert.visit_result = visit_result.strip()
    alert.save(update_fields=["status", "verified_on", "visit_result", "updated_at"])
    _step(alert, actor, "verify", before, alert.visit_result)
    return alert


@transaction.atomic
def alert_act(*, actor: User, alert: Alert, outcome: str, programme: str = "",
              note: str = "", on: dt.date | None = None) -> Alert:  # fmt: skip
    """What was done: open an assistance application (linked to the warning), refer the
    household to another department, or record why no help is needed (a reason)."""
    alert = _locked(alert)
    _may_work(actor, alert)
    _expect(alert, AlertStatus.VERIFIED)
    if outcome not in Outcome.values:
        raise AlertError("outcome", "请选择处置方式", f"unknown outcome {outcome!r}")
    if outcome != Outcome.CASE and not note.strip():
        raise AlertError(
            "note", "转介或无需救助须说明理由", "a referral or no action needs a reason"
        )
    before = alert.status
    if outcome == Outcome.CASE:
        from minzheng.assistance.cases import case_apply

        alert.case = case_apply(
            actor=actor,
            household=alert.household,
            programme=programme,
            received_division=alert.division,
            on=on,
            urgent=programme == "temporary",
        )
        note = note or f"已发起救助申请 {alert.case.ref}"
    alert.status, alert.outcome, alert.outcome_note = AlertStatus.ACTED, outcome, note.strip()
    alert.save(update_fields=["status", "outcome", "outcome_note", "case", "updated_at"])
    _step(alert, actor, "act", before, alert.outcome_note)
    return alert


@transaction.atomic
def alert_close(*, actor: User, alert: Alert, note: str = "",
                on: dt.date | None = None) -> Alert:  # fmt: skip
    """Close an acted-on warning (the loop is closed: 闭环)."""
    alert = _locked(alert)
    _may_work(actor, alert)
    _expect(alert, AlertStatus.ACTED)
    before = alert.status
    alert.status, alert.closed_on = AlertStatus.CLOSED, on or dt.date.today()
    alert.save(update_fields=["status", "closed_on", "updated_at"])
    _step(alert, actor, "close", before, note)
    return alert


def alerts_bulk_close(*, actor: User, alerts: Iterable[Alert], reason: str,
                      on: dt.date | None = None) -> int:  # fmt: skip
    """County bulk action: close acted-on warnings, or verify-and-dismiss open ones with one
    reason (e.g. a feed delivered twice). Each is its own step on its household's chain."""
    if not actor.has_role(Role.REVIEWER) and not actor.has_role(Role.APPROVER):
        raise AlertError(
            "forbidden", "批量处理须县级审核或审批人员", "bulk actions are for county staff"
        )
    if not reason.strip():
        raise AlertError("note", "请填写批量处理理由", "a reason is required")
    done = 0
    for alert in alerts:
        with transaction.atomic():
            fresh = _locked(alert)
            _may_work(actor, fresh)
            if fresh.status == AlertStatus.OPEN:
                alert_verify(actor=actor, alert=fresh, visit_result=f"批量核实：{reason}", on=on)
                alert_act(actor=actor, alert=fresh, outcome=Outcome.NO_ACTION, note=reason, on=on)
            elif fresh.status == AlertStatus.VERIFIED:
                alert_act(actor=actor, alert=fresh, outcome=Outcome.NO_ACTION, note=reason, on=on)
            if Alert.objects.get(pk=fresh.pk).status == AlertStatus.ACTED:
                alert_close(actor=actor, alert=fresh, note=reason, on=on)
                done += 1
    return done


def is_overdue(alert: Alert, day: dt.date) -> bool:
    """Not yet verified by its deadline (working days from the day it was raised)."""
    return alert.status == AlertStatus.OPEN and day > alert.due_on


def alerts_escalate(today: dt.date | None = None) -> int:
    """Escalate (once) warnings not verified by their deadline to the county; returns how many."""
    day = today or dt.date.today()
    n = 0
    for alert in Alert.objects.filter(status=AlertStatus.OPEN, escalated=False, due_on__lt=day):
        with transaction.atomic():
            if Alert.objects.filter(pk=alert.pk, escalated=False).update(escalated=True):
                alert.escalated = True
                _step(alert, None, "escalate", alert.status, f"逾期未核实，督办 {day.isoformat()}")
                n += 1
    return n


EXPORT_HEADERS = [
    "预警编号", "预警规则", "规则版本", "预警等级", "状态", "乡镇（街道）", "区划代码",
    "姓名", "公民身份号码", "户编号", "预警日期", "核实期限", "是否逾期督办", "金额（元）", "依据",
]  # fmt: skip


def reasons_of(explanation: Any) -> str:
    """The sentences of the conditions that held (the evidence in words)."""
    if not isinstance(explanation, dict):
        return ""
    return "；".join(
        str(c.get("text") or "")
        for c in explanation.get("conditions") or []
        if isinstance(c, dict) and c.get("result") and c.get("text")
    )


EXPORT_FIELDS = (
    "uid", "rule", "rule_version", "severity", "status", "division__name", "division__code",
    "person__name", "person__id_number", "household__head__name",
    "household__head__id_number", "household__ref", "raised_on", "due_on", "escalated",
    "amount_fen", "evidence__explanation__conditions",
)  # fmt: skip


def export_rows(actor: User, alerts: Iterable[dict[str, Any]]) -> tuple[list[list[Any]], bool]:
    """Rows of the export (from ``EXPORT_FIELDS`` values) and whether ID numbers are in
    full (export permission)."""
    from minzheng.registry.exports import may_export_full_ids

    full = may_export_full_ids(actor)
    severity, status = dict(Severity.choices), dict(AlertStatus.choices)
    rows = []
    for a in alerts:
        own = a["person__name"] is not None or a["person__id_number"] is not None
        name = a["person__name"] if own else a["household__head__name"]
        number = (a["person__id_number"] if own else a["household__head__id_number"]) or ""
        conditions = a["evidence__explanation__conditions"]
        amount = a["amount_fen"]
        rows.append(
            [
                str(a["uid"]), a["rule"], a["rule_version"], severity.get(a["severity"], a["severity"]),
                status.get(a["status"], a["status"]), a["division__name"], a["division__code"],
                name or "", number if full else mask(number), a["household__ref"],
                a["raised_on"].isoformat(), a["due_on"].isoformat(), "是" if a["escalated"] else "",
                f"{amount / 100:.2f}" if amount is not None else "",
                reasons_of({"conditions": conditions if isinstance(conditions, list) else []}),
            ]
        )  # fmt: skip
    return rows, full


def alerts_export(*, actor: User, out: Path) -> int:
    """Write the warnings ``actor`` may see to ``out`` (CSV, UTF-8 with BOM for Excel);
    ID numbers masked unless the actor holds the export permission; audited. Read as plain
    values (no model instances, only the evidence's conditions): a county's few thousand
    warnings are a frequent analyst download."""
    qs = (
        Alert.objects.visible_to(actor)
        .order_by("division__code", "raised_on", "pk")
        .values(*EXPORT_FIELDS)
    )
    rows, full = export_rows(actor, qs.iterator(chunk_size=2000))
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([[safe_cell(v) for v in row] for row in rows])
    audit_export(actor=actor, object_type="alert", criteria={"format": "csv"}, rows=len(rows),
                 full_ids=full)  # fmt: skip
    return len(rows)


def open_counts(actor: User, today: dt.date | None = None) -> dict[str, Any]:
    """Dashboard figures: open and overdue by severity, rule and division; the median days
    from raising to verification; the fanpin sub-types' share in dibao or tekun."""
    from statistics import median

    day = today or dt.date.today()
    qs = Alert.objects.visible_to(actor)
    open_qs = qs.filter(status__in=OPEN_ALERT_STATES)
    by: dict[str, dict[str, dict[str, int]]] = {"severity": {}, "rule": {}, "division": {}}
    for sev, rule, division, status, due in open_qs.values_list(
        "severity", "rule", "division__name", "status", "due_on"
    ):
        late = status == AlertStatus.OPEN and day > due
        for dim, key in (("severity", sev), ("rule", rule), ("division", division)):
            cell = by[dim].setdefault(key, {"open": 0, "overdue": 0})
            cell["open"] += 1
            cell["overdue"] += int(late)
    waits = [
        (v - r).days
        for r, v in qs.filter(verified_on__isnull=False).values_list("raised_on", "verified_on")
    ]
    return {
        "by": by,
        "median_days_to_verify": median(waits) if waits else None,
        "fanpin_covered": fanpin_coverage(actor, day),
    }


def fanpin_coverage(actor: User, day: dt.date) -> dict[str, dict[str, int]]:
    """The seed's indicator: per 防止返贫 sub-type, how many are also in dibao or tekun
    (counted by the database: a county holds tens of thousands of memberships).

    Kept five minutes per jurisdiction and day: layers change with the nightly pass, and
    the count is the dashboard's one slow query (a quarter of a second for a county of
    500,000 persons), which analysts reload all day."""
    from django.core.cache import cache

    from minzheng.accounts.scope import scope_of

    scope = scope_of(actor)
    key = f"mz:fanpin:{'*' if scope.everything else scope.prefix}:{day.isoformat()}"
    found = cache.get(key) if not scope.nothing else None
    if found is None:
        found = _fanpin_coverage(actor, day)
        cache.set(key, found, 300)
    return found


def _fanpin_coverage(actor: User, day: dt.date) -> dict[str, dict[str, int]]:
    from django.db.models import Count, Exists, OuterRef, Q

    from minzheng.accounts.scope import restrict
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Person

    people = restrict(Person.objects.all(), actor, "hukou_division", "residence_division")
    live = LayerMembership.objects.as_of(day)
    assisted = live.filter(person_id=OuterRef("person_id"), layer__in=["dibao", "tekun"])
    rows = (
        live.filter(layer="fanpin", person__in=people)
        .values("subtype")
        .annotate(
            persons=Count("person", distinct=True),
            covered=Count("person", distinct=True, filter=Q(Exists(assisted))),
        )
        .order_by("subtype")
    )
    return {
        r["subtype"] or "未分类": {"persons": r["persons"], "covered": r["covered"]} for r in rows
    }


@transaction.atomic
def discovery_decide(*, actor: User, discovery: Any, registered: bool, note: str,
                     on: dt.date | None = None) -> Any:  # fmt: skip
    """County staff close a possible discovery: registered (the household now has a file —
    the next pass warns about it like any other) or dismissed, with a reason either way."""
    from minzheng.monitoring.alerts import Discovery

    found = (Discovery.objects.select_for_update(of=("self",)).select_related("division")).get(
        pk=discovery.pk
    )  # division is nullable: lock only the discovery row
    if not (actor.has_role(Role.REVIEWER) or actor.has_role(Role.APPROVER)) or not covers(
        actor, found.division
    ):
        raise AlertError("forbidden", "仅辖区县级人员可处理", "county staff of the area only")
    if found.status != Discovery.Status.OPEN:
        raise AlertError("bad_state", "该线索已处理", "this discovery was already decided")
    if not note.strip():
        raise AlertError("note", "请说明核查情况", "say what the check found")
    found.status = Discovery.Status.REGISTERED if registered else Discovery.Status.DISMISSED
    found.note, found.decided_by, found.decided_on = note.strip(), actor, on or dt.date.today()
    found.save(update_fields=["status", "note", "decided_by", "decided_on", "updated_at"])
    audit_record(
        actor=actor,
        events=[
            Audit(action="discovery_decide", object_type="discovery", object_id=found.pk,
                  changes={"status": found.status},
                  summary=f"疑似未登记对象 {found.name}：{found.get_status_display()}")
        ],
    )  # fmt: skip
    return found

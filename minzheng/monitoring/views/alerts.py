"""Warning pages: the township's inbox, one warning with its evidence and next step, the
county's bulk actions and dashboard, and the CSV export.

Every page goes through ``Alert.objects.visible_to`` — a warning of another township is a
404 — and each step posts to one service in :mod:`minzheng.monitoring.services`, showing its
bilingual error if refused.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import audit_read
from minzheng.assistance.models import Programme
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate
from minzheng.monitoring import services as svc
from minzheng.monitoring.alerts import (
    OPEN_ALERT_STATES,
    Alert,
    AlertStatus,
    Outcome,
    Severity,
)
from minzheng.monitoring.rules import default_rules

ORDER = {"red": 0, "orange": 1, "yellow": 2}


def _filtered(request: AuthedRequest) -> Any:
    qs = Alert.objects.visible_to(request.user).select_related(
        "division", "household", "person", "household__head"
    )
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.filter(status__in=OPEN_ALERT_STATES)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("severity") in Severity.values:
        qs = qs.filter(severity=request.GET["severity"])
    if request.GET.get("rule"):
        qs = qs.filter(rule=request.GET["rule"])
    if request.GET.get("overdue") == "1":
        qs = qs.filter(status=AlertStatus.OPEN, due_on__lt=dt.date.today())
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(household__ref__icontains=q) | qs.filter(household__head__name=q)
    return qs.order_by("due_on", "severity", "pk")


@data_required
def inbox(request: AuthedRequest) -> HttpResponse:
    """预警处置: the warnings the user may see, open ones first by deadline."""
    rules = default_rules()
    ctx = {
        "nav": "alerts",
        "today": dt.date.today(),
        "statuses": AlertStatus.choices,
        "severities": Severity.choices,
        "rules": sorted((r.name, r.ruleset.title) for r in rules.values()),
        "titles": {r.name: r.ruleset.title for r in rules.values()},
        "may_bulk": request.user.has_role(Role.REVIEWER) or request.user.has_role(Role.APPROVER),
        "f": request.GET,
        **paginate(request, _filtered(request)),
    }
    for a in ctx["page"]:
        a.title = ctx["titles"].get(a.rule, a.rule)
    return render(request, "monitoring/inbox.html", ctx)


def _alert(request: AuthedRequest, uid: Any) -> Alert:
    return get_object_or_404(
        Alert.objects.visible_to(request.user).select_related(
            "division", "household", "person", "household__head", "case"
        ),
        uid=uid,
    )


@data_required
def alert_detail(request: AuthedRequest, uid: Any) -> HttpResponse:
    alert = _alert(request, uid)
    audit_read(actor=request.user, object_type="alert", object_id=alert.pk,
               household_id=alert.household_id, summary=f"查看预警 {alert.rule}")  # fmt: skip
    rule = default_rules().get(alert.rule)
    explanation = (alert.evidence or {}).get("explanation") or {}
    ctx = {
        "nav": "alerts",
        "alert": alert,
        "rule": rule,
        "reasons": svc.reasons_of(explanation),
        "values": sorted((explanation.get("values") or {}).items()),
        "events": alert.events.select_related("actor"),
        "may_edit": request.user.can_edit_registry and covers(request.user, alert.division),
        "overdue": svc.is_overdue(alert, dt.date.today()),
        "programmes": [(v, label) for v, label in Programme.choices if v != "price"],
        "outcomes": Outcome.choices,
        "today": dt.date.today(),
    }
    return render(request, "monitoring/alert_detail.html", ctx)


STEPS = {"verify", "act", "close"}


@edit_required
@require_POST
def alert_step(request: AuthedRequest, uid: Any, step: str) -> HttpResponse:
    alert = _alert(request, uid)
    p = request.POST
    try:
        if step == "verify":
            svc.alert_verify(
                actor=request.user, alert=alert, visit_result=p.get("visit_result", "")
            )
        elif step == "act":
            svc.alert_act(actor=request.user, alert=alert, outcome=p.get("outcome", ""),
                          programme=p.get("programme", ""), note=p.get("note", ""))  # fmt: skip
        elif step == "close":
            svc.alert_close(actor=request.user, alert=alert, note=p.get("note", ""))
        else:
            raise svc.AlertError("step", "未知的操作", f"unknown step {step!r}")
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
    else:
        messages.success(request, _("已保存"))
    return redirect("monitoring:alert", uid=alert.uid)


@edit_required
@require_POST
def alerts_bulk(request: AuthedRequest) -> HttpResponse:
    """County staff: close the selected warnings with one reason."""
    chosen = Alert.objects.visible_to(request.user).filter(uid__in=request.POST.getlist("uid"))
    try:
        n = svc.alerts_bulk_close(actor=request.user, alerts=list(chosen),
                                  reason=request.POST.get("reason", ""))  # fmt: skip
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
    else:
        messages.success(request, _("已批量办结 %(n)s 条预警") % {"n": n})
    return redirect("monitoring:inbox")


@data_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """预警统计: open and overdue by severity, rule and division; median days to verify;
    the share of each 防止返贫 sub-type also in dibao or tekun."""
    figures = svc.open_counts(request.user)
    titles = {r.name: r.ruleset.title for r in default_rules().values()}
    by = figures["by"]
    ctx = {
        "nav": "alert_dashboard",
        "severity": [
            (dict(Severity.choices).get(k, k), v)
            for k, v in sorted(by["severity"].items(), key=lambda kv: ORDER.get(kv[0], 9))
        ],
        "rules": sorted(((titles.get(k, k), v) for k, v in by["rule"].items())),
        "divisions": sorted(by["division"].items()),
        "median": figures["median_days_to_verify"],
        "fanpin": sorted(figures["fanpin_covered"].items()),
    }
    return render(request, "monitoring/dashboard.html", ctx)


@data_required
def alerts_download(request: AuthedRequest) -> HttpResponse:
    """The warnings the user may see as CSV (IDs masked unless permitted; audited)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "alerts.csv"
        svc.alerts_export(actor=request.user, out=out)
        data = out.read_bytes()
    place = request.user.division.name if request.user.division else ""
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    name = f"{place}预警清单_{dt.date.today():%Y%m%d}.csv"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response

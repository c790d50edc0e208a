"""The audit viewer: for the audit administrator only, filterable and exportable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from minzheng.accounts.models import AuditEvent
from minzheng.accounts.roles import Role
from minzheng.accounts.services import audit_export
from minzheng.core.access import AuthedRequest, login_required_view
from minzheng.core.paging import paginate
from minzheng.core.xlsx import workbook_bytes, xlsx_response


class AuditFilter(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    action = forms.CharField(label=_("动作"), required=False)
    object_type = forms.CharField(label=_("对象"), required=False)
    date_from = forms.DateField(label=_("起"), required=False)
    date_to = forms.DateField(label=_("止"), required=False)


def _events(request: AuthedRequest) -> tuple[QuerySet[AuditEvent], dict[str, Any]]:
    if not request.user.has_role(Role.AUDITADMIN):
        raise PermissionDenied
    form = AuditFilter(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if data.get("actor"):
        qs = qs.filter(actor__username=data["actor"])
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("object_type"):
        qs = qs.filter(object_type=data["object_type"])
    if data.get("date_from"):
        qs = qs.filter(at__date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(at__date__lte=data["date_to"])
    criteria = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items() if v}
    return qs, {"form": form, "criteria": criteria}


@login_required_view
def audit_list(request: AuthedRequest) -> HttpResponse:
    """审计日志."""
    qs, ctx = _events(request)
    return render(
        request, "accounts/audit_list.html", {"nav": "audit", **ctx, **paginate(request, qs)}
    )


@login_required_view
def audit_export_view(request: AuthedRequest) -> HttpResponse:
    """The filtered audit trail as .xlsx (itself audited)."""
    qs, ctx = _events(request)
    rows = [
        [
            e.at.isoformat(timespec="seconds"),
            e.actor.username if e.actor else "",
            e.action,
            e.object_type,
            e.object_id,
            e.household_id or "",
            e.source,
            e.ip or "",
            e.rows if e.rows is not None else "",
            e.summary,
            str(e.changes),
        ]
        for e in qs[:200_000]
    ]
    audit_export(
        actor=request.user,
        object_type="audit",
        criteria=ctx["criteria"],
        rows=len(rows),
        full_ids=False,
    )
    headers = [
        "时间",
        "操作人",
        "动作",
        "对象",
        "对象ID",
        "家庭ID",
        "渠道",
        "IP",
        "行数",
        "摘要",
        "变更",
    ]
    return xlsx_response(
        workbook_bytes("审计日志", headers, rows), f"审计日志_{dt.date.today():%Y%m%d}.xlsx"
    )

"""The to-do list, a new case, a case with its workflow steps, publicity, attachments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import audit_read
from minzheng.assistance import cases as svc
from minzheng.assistance.models import AttachmentKind, Case, CaseState, Channel, Programme
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate
from minzheng.registry.models import Household


@data_required
def case_list(request: AuthedRequest) -> HttpResponse:
    """救助申请待办: open cases and unserved refusals, overdue first."""
    today = dt.date.today()
    todo = svc.cases_todo(request.user, today)
    rows = [(c, svc.is_overdue(c, today)) for c in todo]
    done = Case.objects.visible_to(request.user).exclude(pk__in=[c.pk for c in todo])
    ctx = {
        "nav": "cases",
        "rows": rows,
        "overdue": sum(1 for _, late in rows if late),
        **paginate(request, done.select_related("household").order_by("-pk")),
    }
    return render(request, "assistance/case_list.html", ctx)


@data_required
def publicity_list(request: AuthedRequest) -> HttpResponse:
    """公示名单 (printable): names with ID numbers and addresses masked."""
    found = (
        Case.objects.visible_to(request.user)
        .filter(state=CaseState.PUBLICITY)
        .select_related("household", "applicant", "received_division")
        .order_by("received_division__code", "pk")
    )
    return render(request, "assistance/publicity.html", {"nav": "cases", "cases": found})


@edit_required
def case_new(request: AuthedRequest, uid: Any) -> HttpResponse:
    """申请救助 for a household the caseworker can see."""
    household = get_object_or_404(Household.objects.visible_to(request.user), uid=uid)
    if request.method == "POST":
        try:
            case = svc.case_apply(
                actor=request.user,
                household=household,
                programme=request.POST.get("programme", ""),
                channel=request.POST.get("channel", Channel.IN_PERSON),
                proxy_name=request.POST.get("proxy_name", ""),
                urgent=request.POST.get("urgent") == "on",
                declaration={"bank_account": request.POST.get("bank_account", "")[:40]},
            )
        except BilingualError as err:
            messages.error(request, f"{err.message} / {err.message_en}")
        else:
            messages.success(request, _("申请已登记"))
            return redirect("assistance:case", uid=case.uid)
    ctx = {
        "nav": "cases",
        "household": household,
        "programmes": Programme.choices,
        "channels": Channel.choices,
    }
    return render(request, "assistance/case_new.html", ctx)


def _case(request: AuthedRequest, uid: Any) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(request.user).select_related(
            "household", "applicant", "received_division", "responsible_division",
            "entered_by", "reviewed_by", "decided_by",
        ),
        uid=uid,
    )  # fmt: skip


@data_required
def case_detail(request: AuthedRequest, uid: Any) -> HttpResponse:
    case = _case(request, uid)
    audit_read(actor=request.user, object_type="case", object_id=case.ref,
               household_id=case.household_id, summary=f"查看救助申请 {case.ref}")  # fmt: skip
    user = request.user
    may_decide = (
        user.has_role(Role.APPROVER)
        and covers(user, case.responsible_division)
        and user.pk not in (case.entered_by_id, case.reviewed_by_id)
    )
    ctx = {
        "nav": "cases",
        "case": case,
        "events": case.events.select_related("actor"),
        "attachments": case.attachments.all(),
        "visits": case.visits.all(),
        "objections": case.objections.all(),
        "kinds": AttachmentKind.choices,
        "may_edit": user.can_edit_registry,
        "may_decide": may_decide,
        "overdue": svc.is_overdue(case, dt.date.today()),
        "today": dt.date.today(),
    }
    return render(request, "assistance/case_detail.html", ctx)


@data_required
def attachment_download(request: AuthedRequest, uid: Any, pk: int) -> HttpResponse:
    """A case's document, for users who can see the case (404 otherwise); a logged read.
    Always a download (never shown inline), at most 20 MB (the upload limit)."""
    import mimetypes

    from django.utils.http import content_disposition_header

    case = _case(request, uid)
    att = get_object_or_404(case.attachments, pk=pk)
    try:
        with att.file.open("rb") as fh:
            content = fh.read()
    except FileNotFoundError:
        raise Http404 from None
    audit_read(actor=request.user, object_type="attachment", object_id=att.pk,
               household_id=case.household_id, summary=f"下载材料 {case.ref} {att.name}")  # fmt: skip
    kind = mimetypes.guess_type(att.name)[0] or "application/octet-stream"
    resp = HttpResponse(content, content_type=kind)
    resp["Content-Disposition"] = content_disposition_header(True, att.name) or "attachment"
    return resp


def _date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return dt.date.today()


def _fen(text: str | None) -> int | None:
    """An amount typed in yuan (blank: the data check's figure)."""
    from decimal import Decimal, InvalidOperation

    if not (text or "").strip():
        return None
    try:
        value = Decimal(str(text).strip()) * 100
    except InvalidOperation:
        raise svc.CaseError("amount", "金额须为数字", "the amount must be a number") from None
    if not value.is_finite() or value < 0 or value > 10**9 or value != value.to_integral_value():
        raise svc.CaseError("amount", "金额须为非负数且精确到分", "amount: ≥ 0, exact to the fen")
    return int(value)


STEPS = {
    "accept": lambda r, c: svc.case_accept(actor=r.user, case=c),
    "attach": lambda r, c: svc.case_attach(
        actor=r.user, case=c, kind=r.POST.get("kind", ""),
        name=getattr(r.FILES.get("file"), "name", ""),
        content=r.FILES["file"].read() if r.FILES.get("file") else b"",
    ),
    "visit": lambda r, c: svc.case_visit(
        actor=r.user, case=c, visited_on=_date(r.POST.get("visited_on")),
        visitors=r.POST.get("visitors", ""),
        checklist={k: r.POST.get(k, "") for k in ("housing", "appliances", "vehicles", "work")},
        findings=r.POST.get("findings", ""),
    ),
    "investigate": lambda r, c: svc.case_investigate(actor=r.user, case=c),
    "review": lambda r, c: svc.case_review(
        actor=r.user, case=c, recommend=r.POST.get("recommend") == "yes",
        note=r.POST.get("note", ""),
    ),
    "publicise": lambda r, c: svc.case_publicise(actor=r.user, case=c),
    "object": lambda r, c: svc.case_object(
        actor=r.user, case=c, received_on=_date(r.POST.get("received_on")),
        content=r.POST.get("content", ""), raised_by=r.POST.get("raised_by", ""),
    ),
    "resolve": lambda r, c: svc.objection_resolve(
        actor=r.user, objection=get_object_or_404(c.objections, pk=r.POST.get("objection") or 0),
        resolution=r.POST.get("resolution", ""),
    ),
    "close_publicity": lambda r, c: svc.case_close_publicity(actor=r.user, case=c),
    "decide": lambda r, c: svc.case_decide(
        actor=r.user, case=c, approve=r.POST.get("decision") == "approve",
        reason=r.POST.get("reason", ""), amount_fen=_fen(r.POST.get("amount")),
    ),
    "notify": lambda r, c: svc.case_notify(actor=r.user, case=c),
}  # fmt: skip


@require_POST
@data_required
def case_step(request: AuthedRequest, uid: Any, step: str) -> HttpResponse:
    """One workflow step (a service); its refusal is shown, never a traceback."""
    case = _case(request, uid)
    if step not in STEPS:
        raise Http404
    try:
        STEPS[step](request, case)
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
    else:
        messages.success(request, _("已办理"))
    return redirect("assistance:case", uid=case.uid)

"""Enrolments (在保对象): list, export, detail, changes, reviews due, the standard raise."""

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
from minzheng.accounts.services import audit_export, audit_read, audit_search
from minzheng.assistance import cases as svc
from minzheng.assistance.models import EndReason, Enrolment, EnrolmentState, Programme
from minzheng.core.access import AuthedRequest, data_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate
from minzheng.divisions.models import Division, Level
from minzheng.registry.models import Household


def _enrolments(request: AuthedRequest) -> Any:
    """The enrolments the user may see, searched (name / ID number / household ref) and
    filtered by programme and state as the query string asks."""
    from django.db.models import Q

    from minzheng.registry.models import Person

    qs = Enrolment.objects.visible_to(request.user).select_related("household", "payee", "division")
    if request.GET.get("programme") in Programme.values:
        qs = qs.filter(programme=request.GET["programme"])
    if request.GET.get("state") in EnrolmentState.values:
        qs = qs.filter(state=request.GET["state"])
    q = request.GET.get("q", "").strip()
    if q:
        number = q.upper()
        members = Person.objects.filter(Q(name__contains=q) | Q(id_number=number))
        qs = qs.filter(
            Q(household__ref__icontains=q) | Q(payee__name__contains=q)
            | Q(payee__id_number=number) | Q(household_id__in=members.values("household_id"))
        )  # fmt: skip
    return qs.order_by("division__code", "household__ref", "pk")


def _search_criteria(request: AuthedRequest) -> dict[str, str]:
    """The query for the audit trail, never a full ID number."""
    q = request.GET.get("q", "").strip()
    masked = q[:6] + "…" if len(q) >= 15 and q[:6].isdigit() else q
    return {"q": masked, "programme": request.GET.get("programme", ""),
            "state": request.GET.get("state", "")}  # fmt: skip


@data_required
def enrolment_list(request: AuthedRequest) -> HttpResponse:
    """在保对象: search by name, ID number or household; filter by programme and state."""
    qs = _enrolments(request)
    ctx = {"nav": "enrolments", "programmes": Programme.choices, "states": EnrolmentState.choices,
           **paginate(request, qs)}  # fmt: skip
    if request.GET.get("q"):
        audit_search(actor=request.user, object_type="enrolment",
                     criteria=_search_criteria(request), rows=ctx["total"])  # fmt: skip
    return render(request, "assistance/enrolment_list.html", ctx)


ENROLMENT_HEADERS = ["家庭户", "领取人", "公民身份号码", "救助项目", "审批县区", "状态",
                     "保障人数", "月保障金（元）", "保障起始", "下次复核"]  # fmt: skip


@data_required
def enrolment_export(request: AuthedRequest) -> HttpResponse:
    """The current query as .xlsx (ID numbers masked; audited)."""
    from minzheng.core.xlsx import workbook_bytes, xlsx_response
    from minzheng.identity.resident_id import mask

    rows = [
        [e.household.ref, e.payee.name, mask(e.payee.id_number) if e.payee.id_number else "",
         e.get_programme_display(), e.division.name, e.get_state_display(), e.covered_persons,
         f"{e.amount_fen / 100:.2f}", e.valid_from.isoformat(),
         e.next_review.isoformat() if e.next_review else ""]
        for e in _enrolments(request)[:50_000]
    ]  # fmt: skip
    audit_export(actor=request.user, object_type="enrolment", rows=len(rows), full_ids=False,
                 criteria=_search_criteria(request))  # fmt: skip
    home = request.user.division.name if request.user.division else "全国"
    return xlsx_response(workbook_bytes("在保对象", ENROLMENT_HEADERS, rows),
                         f"{home}在保对象_{dt.date.today():%Y%m%d}.xlsx")  # fmt: skip


def _enrolment(request: AuthedRequest, uid: Any) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.visible_to(request.user).select_related(
            "household", "payee", "division", "case"
        ),
        uid=uid,
    )


def _may_manage(user: Any, e: Enrolment) -> bool:
    """Recompute, suspend, resume, terminate, gradual exit: the deciding county's approvers."""
    return bool(user.has_role(Role.APPROVER) and covers(user, e.division))


def _may_review(user: Any, e: Enrolment) -> bool:
    return bool(user.can_edit_registry and covers(user, e.division))


def _masked_account(account: str) -> str:
    account = account.replace(" ", "")
    return f"{account[:4]} **** {account[-4:]}" if len(account) > 8 else ("****" if account else "")


def _enrolment_page(request: AuthedRequest, e: Enrolment, **extra: Any) -> HttpResponse:
    from minzheng.assistance.enrolments import outstanding
    from minzheng.registry.models import Person

    user = request.user
    ctx = {
        "nav": "enrolments",
        "e": e,
        "members": Person.objects.visible_to(user).filter(household_id=e.household_id).active(),
        "account": _masked_account(e.bank_account),
        "changes": e.changes.select_related("settled_in", "actor").order_by("-effective", "-at"),
        "payments": e.payments.select_related("roster").order_by("-month", "kind")[:120],
        "outstanding": outstanding(e),
        "may_manage": _may_manage(user, e),
        "may_review": _may_review(user, e),
        "reasons": EndReason.choices,
        "end_reason": dict(EndReason.choices).get(e.end_reason, e.end_reason),
        "today": dt.date.today(),
        **extra,
    }
    return render(request, "assistance/enrolment_detail.html", ctx)


@data_required
def enrolment_detail(request: AuthedRequest, uid: Any) -> HttpResponse:
    """One enrolment: household, payee, amount and its changes, payments by month."""
    e = _enrolment(request, uid)
    audit_read(actor=request.user, object_type="enrolment", object_id=str(e.uid),
               household_id=e.household_id, summary=f"查看救助对象 {e.household.ref}")  # fmt: skip
    return _enrolment_page(request, e)


def _recompute_input(request: AuthedRequest, e: Enrolment) -> tuple[int, dt.date, str]:
    """(amount, effective month, reason) from the form; a blank amount is the programme's
    rule run on the household now (only for an enrolment that came from a case)."""
    from minzheng.assistance import forms

    effective = forms.month(request.POST.get("effective"))
    reason = forms.required(request.POST.get("reason"), "调整原因", "a reason")
    amount = forms.yuan(request.POST.get("amount"))
    if amount is None:
        if e.case is None:
            raise forms.InputError("amount", "请填写新的月保障金", "enter the new monthly amount")
        amount = int(svc.household_check(e.case, max(effective, dt.date.today()))["amount_fen"])
    return amount, effective, reason


def _recompute(request: AuthedRequest, e: Enrolment) -> Any:
    from minzheng.assistance.enrolments import enrolment_recompute

    amount, effective, reason = _recompute_input(request, e)
    return enrolment_recompute(actor=request.user, enrolment=e, amount_fen=amount,
                               effective=effective, reason=reason)  # fmt: skip


def _terminate(request: AuthedRequest, e: Enrolment) -> Any:
    from minzheng.assistance import forms
    from minzheng.assistance.enrolments import enrolment_terminate

    on = forms.day(request.POST.get("on"), default=dt.date.today())
    return enrolment_terminate(actor=request.user, enrolment=e,
                               reason=request.POST.get("reason", ""), on=on)  # fmt: skip


def _enrolment_steps() -> dict[str, Any]:
    from minzheng.assistance import enrolments as life
    from minzheng.assistance import forms

    return {
        "recompute": _recompute,
        "suspend": lambda r, e: life.enrolment_suspend(
            actor=r.user, enrolment=e,
            reason=forms.required(r.POST.get("reason"), "暂停原因", "a reason"),
        ),
        "resume": lambda r, e: life.enrolment_resume(actor=r.user, enrolment=e),
        "terminate": _terminate,
        "gradual_exit": lambda r, e: life.enrolment_gradual_exit(
            actor=r.user, enrolment=e, on=forms.day(r.POST.get("on"), default=dt.date.today())
        ),
        "review": lambda r, e: life.review_done(
            actor=r.user, enrolment=e, on=forms.day(r.POST.get("on"), default=dt.date.today())
        ),
    }  # fmt: skip


@require_POST
@data_required
def enrolment_step(request: AuthedRequest, uid: Any, step: str) -> HttpResponse:
    """One change to an enrolment (a service), or the preview of a recompute."""
    from minzheng.assistance.enrolments import recompute_preview

    e = _enrolment(request, uid)
    steps = _enrolment_steps()
    if step not in steps and step != "preview":
        raise Http404
    allowed = _may_review(request.user, e) if step == "review" else _may_manage(request.user, e)
    back = redirect("assistance:reviews") if request.POST.get("back") == "reviews" else None
    try:
        if not allowed:
            raise svc.CaseError("forbidden", "只有本县（区）审批人员可以办理此操作",
                                "only the county's approvers may do this")  # fmt: skip
        if step == "preview":
            amount, effective, reason = _recompute_input(request, e)
            preview = recompute_preview(enrolment=e, amount_fen=amount, effective=effective)
            return _enrolment_page(request, e, preview=preview, reason=reason)
        steps[step](request, e)
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
    else:
        messages.success(request, _("已办理"))
    return back or redirect("assistance:enrolment", uid=e.uid)


@data_required
def review_list(request: AuthedRequest) -> HttpResponse:
    """到期复核: open enrolments whose review is due (or due within the next 30 days)."""
    from minzheng.assistance.enrolments import reviews_due_query

    today = dt.date.today()
    ahead = 30 if request.GET.get("ahead") == "30" else 0
    qs = reviews_due_query(request.user, today + dt.timedelta(days=ahead))
    ctx = {"nav": "reviews", "today": today, "ahead": ahead,
           "may_review": request.user.can_edit_registry,
           "overdue": qs.filter(next_review__lt=today).count(), **paginate(request, qs)}  # fmt: skip
    return render(request, "assistance/reviews.html", ctx)


# --- the annual standard raise (提标) --------------------------------------------------------
def _raise_allowed(user: Any) -> bool:
    """Approvers of a county or a city recompute their region's enrolments."""
    d = user.division
    return bool(
        user.has_role(Role.APPROVER)
        and d is not None
        and d.level in (Level.PREFECTURE, Level.COUNTY)
    )


def _raise_summary(lines: list[Any]) -> dict[str, Any]:
    """Households, how many change, the monthly total, and the same per township."""
    import hashlib

    from minzheng.divisions.models import PREFIX_LEN

    hukou = dict(
        Household.objects.filter(pk__in={ln.enrolment.household_id for ln in lines})
        .values_list("pk", "hukou_division__code")
    )  # fmt: skip
    cut = PREFIX_LEN[Level.TOWNSHIP]
    names = dict(
        Division.objects.filter(code__in={(hukou.get(ln.enrolment.household_id) or "")[:cut]
                                          .ljust(12, "0") for ln in lines})
        .values_list("code", "name")
    )  # fmt: skip
    towns: dict[str, dict[str, Any]] = {}
    for ln in lines:
        code = (hukou.get(ln.enrolment.household_id) or "")[:cut].ljust(12, "0")
        row = towns.setdefault(code, {"name": names.get(code, code), "households": 0,
                                      "changed": 0, "review": 0, "change_fen": 0})  # fmt: skip
        row["households"] += 1
        if ln.new_fen <= 0:
            row["review"] += 1
        elif ln.new_fen != ln.old_fen:
            row["changed"] += 1
            row["change_fen"] += ln.change_fen
    digest = hashlib.sha256(
        repr(sorted((ln.enrolment.pk, ln.old_fen, ln.new_fen) for ln in lines)).encode()
    ).hexdigest()
    total = {k: sum(t[k] for t in towns.values()) for k in ("households", "changed", "review",
                                                             "change_fen")}  # fmt: skip
    return {"towns": sorted(towns.items()), "total": total, "digest": digest}


@data_required
def standard_raise(request: AuthedRequest) -> HttpResponse:
    """提标: preview what the parameters in force on a date give every enrolment of the
    user's county or city, then apply it (each change a recompute, back-pay included)."""
    from django.core.exceptions import PermissionDenied

    from minzheng.assistance import enrolments as life
    from minzheng.assistance import forms
    from minzheng.assistance.parameters import effective_rows

    user = request.user
    if not _raise_allowed(user):
        raise PermissionDenied
    assert user.division is not None
    today = dt.date.today()
    ctx: dict[str, Any] = {
        "nav": "raise",
        "programmes": [c for c in Programme.choices if c[0] in ("dibao", "tekun")],
        "effective": svc.first_of_next_month(today),
        "division": user.division,
    }
    if request.method == "POST":
        try:
            programme = request.POST.get("programme", "")
            if programme not in ("dibao", "tekun"):
                raise forms.InputError("programme", "请选择救助项目", "choose a programme")
            effective = forms.day(request.POST.get("effective")).replace(day=1)
            lines = life.standard_raise_preview(prefix=user.division.prefix, programme=programme,
                                                rows_after=effective_rows(), on=effective)  # fmt: skip
            summary = _raise_summary(lines)
            if request.POST.get("action") == "apply":
                if request.POST.get("digest") != summary["digest"]:
                    raise forms.InputError("stale", "预览后数据已变化，请重新预览",
                                           "the data changed since the preview; preview again")  # fmt: skip
                reason = forms.required(request.POST.get("reason"), "调整依据", "a reason")
                n = life.standard_raise_apply(actor=user, lines=lines, effective=effective,
                                              reason=reason)  # fmt: skip
                messages.success(request, _("已调整 %(n)s 户") % {"n": n})
                return redirect("assistance:raise")
        except BilingualError as err:
            messages.error(request, f"{err.message} / {err.message_en}")
        else:
            ctx.update(summary, programme=programme, effective=effective, previewed=True)
    return render(request, "assistance/raise.html", ctx)

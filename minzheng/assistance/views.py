"""Assistance pages: the to-do list, a case with its next steps, publicity, rosters.

Every page goes through ``Case.objects.visible_to`` (or the household's own
``visible_to``), so a case outside the user's jurisdiction is a 404; each step posts to
one service in :mod:`minzheng.assistance.cases` and shows its bilingual error if refused.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
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
from minzheng.assistance.models import (
    AttachmentKind,
    Case,
    CaseState,
    Channel,
    EndReason,
    Enrolment,
    EnrolmentState,
    Payment,
    PriceIndex,
    Programme,
    Roster,
)
from minzheng.assistance.payments import PaymentError, roster_export, roster_generate
from minzheng.core.access import (
    AuthedRequest,
    data_required,
    edit_required,
    login_required_view,
)
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate
from minzheng.divisions.models import Division, Level
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


def _counties(user: Any) -> list[Division]:
    """Counties whose rosters the user may open (a township sees its own county's, filtered
    to its own payees on the roster page; only county staff and above download them)."""
    d = user.division
    if d is None or not user.sees_personal_data:
        return []
    if d.level >= Level.COUNTY:
        return [svc.county_of(d)]
    return list(Division.objects.within(d).filter(level=Level.COUNTY).order_by("code")[:500])


def _downloadable(user: Any) -> list[Division]:
    return [c for c in _counties(user) if covers(user, c)]


@data_required
def roster_list(request: AuthedRequest) -> HttpResponse:
    """发放花名册: generate a county's month (approvers), list and download."""
    counties = _counties(request.user)
    if request.method == "POST":
        if not request.user.has_role(Role.APPROVER):
            messages.error(request, _("只有审批人员可以生成花名册"))
        else:
            county = next(
                (c for c in _downloadable(request.user) if str(c.pk) == request.POST.get("county")),
                None,
            )
            try:
                if county is None:
                    raise PaymentError("county", "请选择县（区）", "choose a county")
                month = dt.date.fromisoformat(request.POST.get("month", "") + "-01")
                got = roster_generate(actor=request.user, county=county,
                                      programme=request.POST.get("programme", ""), month=month)  # fmt: skip
            except (BilingualError, ValueError) as err:
                text = (
                    f"{err.message} / {err.message_en}"
                    if isinstance(err, BilingualError)
                    else _("月份格式须为 YYYY-MM")
                )
                messages.error(request, text)
            else:
                messages.success(
                    request, _("花名册已生成：%(rows)s 人") % {"rows": got.roster.rows}
                )
        return redirect("assistance:rosters")
    rosters = (
        Roster.objects.filter(division__in=counties)
        .select_related("division")
        .order_by("-month", "division__code")
    )
    ctx = {"nav": "rosters", "counties": _downloadable(request.user), "programmes": Programme.choices,
           "month": dt.date.today().strftime("%Y-%m"), **paginate(request, rosters)}  # fmt: skip
    return render(request, "assistance/rosters.html", ctx)


@data_required
def roster_download(request: AuthedRequest, pk: int) -> HttpResponse:
    roster = get_object_or_404(
        Roster.objects.filter(division__in=_downloadable(request.user)), pk=pk
    )
    out = Path(tempfile.mkdtemp(prefix="mz-roster-")) / (
        f"{roster.division.name}{roster.month:%Y年%m月}{roster.get_programme_display()}花名册.xlsx"
    )
    roster_export(roster, out)
    audit_export(actor=request.user, object_type="roster", rows=roster.rows, full_ids=True,
                 criteria={"roster": roster.pk})  # fmt: skip
    from minzheng.core.xlsx import xlsx_response

    return xlsx_response(out.read_bytes(), out.name)


@data_required
def roster_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One roster's lines that the user may see (a township sees its own payees only)."""
    roster = get_object_or_404(Roster.objects.filter(division__in=_counties(request.user)), pk=pk)
    return _roster_page(request, roster)


def _roster_page(request: AuthedRequest, roster: Roster, **extra: Any) -> HttpResponse:
    from minzheng.assistance.payments import roster_reconcile
    from minzheng.registry.models import Person

    lines = (
        Payment.objects.filter(roster=roster, payee__in=Person.objects.visible_to(request.user))
        .select_related("payee", "enrolment__household")
        .order_by("payee__id_number", "kind")
    )
    whole = covers(request.user, roster.division)  # county staff: the whole county's totals
    ctx = {"nav": "rosters", "roster": roster, "may_download": whole,
           "may_upload": whole and request.user.can_edit_registry,
           "reconcile": roster_reconcile(roster) if whole else None,
           **paginate(request, lines), **extra}  # fmt: skip
    return render(request, "assistance/roster_detail.html", ctx)


@require_POST
@data_required
def roster_bank_result(request: AuthedRequest, pk: int) -> HttpResponse:
    """Upload the bank's result file: each line paid or failed; what matched nothing is
    listed with its reason. Uploading the same file again changes nothing."""
    from minzheng.assistance import forms
    from minzheng.assistance.payments import bank_result_import

    roster = get_object_or_404(
        Roster.objects.filter(division__in=_downloadable(request.user)), pk=pk
    )
    try:
        if not request.user.can_edit_registry:
            raise forms.InputError("forbidden", "只有县（区）经办人员可以导入银行回盘",
                                   "only county staff import bank results")  # fmt: skip
        path = forms.saved_upload(request.FILES.get("file"))
        result = bank_result_import(actor=request.user, roster=roster, path=path)
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
        return redirect("assistance:roster", pk=roster.pk)
    return _roster_page(request, roster, bank=result.as_dict())


@data_required
def simulation_page(request: AuthedRequest) -> HttpResponse:
    """政策模拟: run eligibility under changed parameters as a background job; show and
    export the table per subordinate division (aggregates only)."""
    from minzheng.jobs.models import Job
    from minzheng.jobs.services import job_submit

    user = request.user
    home = user.division
    prefix = home.prefix if home is not None else ""
    if request.method == "POST":
        from minzheng.assistance.catalogue import check_prefix
        from minzheng.assistance.simulation import parse_change
        from minzheng.assistance.tasks import simulate_task

        division = (request.POST.get("division") or prefix).strip()
        changes = [c.strip() for c in request.POST.get("changes", "").splitlines() if c.strip()]
        try:
            division = check_prefix(division)
            if not division.startswith(prefix):
                raise svc.CaseError("forbidden", "只能模拟本辖区", "only within your jurisdiction")
            if not changes:
                raise svc.CaseError("changes", "请填写参数变动", "give at least one change")
            for text in changes:
                name, _sep, change = text.partition("=")
                parse_change(name.strip(), change)
            on = dt.date.fromisoformat(request.POST.get("date") or dt.date.today().isoformat())
        except (BilingualError, ValueError) as err:
            text = (
                f"{err.message} / {err.message_en}" if isinstance(err, BilingualError) else str(err)
            )
            messages.error(request, text)
            return redirect("assistance:simulate")
        submitted = job_submit(simulate_task, division, changes, on.isoformat(), actor=user,
                               label=f"政策模拟 {division or '全国'} {'; '.join(changes)}"[:200])  # fmt: skip
        return redirect(f"{request.path}?job={submitted.pk}")
    job: Job | None = None
    if request.GET.get("job"):
        job = Job.objects.filter(pk=request.GET["job"], actor=user).first()
    result: dict[str, Any] | None = (
        job.return_value if job is not None and job.status == "SUCCESSFUL" else None
    )
    ctx = {"nav": "simulate", "job": job, "prefix": prefix, "today": dt.date.today(),
           "result": result}  # fmt: skip
    if request.GET.get("export") and result:
        from minzheng.assistance.simulation import Simulation
        from minzheng.core.xlsx import workbook_bytes, xlsx_response

        data = result
        sim = Simulation(data["division"], dt.date.fromisoformat(data["date"]), data["changes"],
                         rows=data["rows"], total=data["total"])  # fmt: skip
        headers = [f"{zh} {en}" for _, zh, en in Simulation.COLUMNS]
        return xlsx_response(workbook_bytes("政策模拟", headers, sim.table_rows()),
                             f"政策模拟_{data['division'] or '全国'}_{data['date']}.xlsx")  # fmt: skip
    return render(request, "assistance/simulate.html", ctx)


# --- enrolments (在保对象) ------------------------------------------------------------------
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


# --- parameters (救助参数) -------------------------------------------------------------------
def _param_division(request: AuthedRequest) -> str:
    """The division code asked for (the user's own, or one inside it)."""
    from minzheng.assistance.catalogue import ParameterError, check_prefix

    home = request.user.division.prefix if request.user.division is not None else ""
    try:
        code = check_prefix(request.GET.get("division") or home)
    except ParameterError:
        return home
    return code if code.startswith(home) else home


def _param_rows(code: str, on: dt.date, group: str = "") -> list[dict[str, Any]]:
    """Each parameter's value in force for ``code`` on ``on``, in catalogue order."""
    from minzheng.assistance.catalogue import GROUPS, SPECS, UNITS
    from minzheng.assistance.parameters import parameters_for

    found = parameters_for(code, on)
    names = dict(
        Division.objects.filter(
            code__in={f.division_prefix.ljust(12, "0") for f in found.values() if f.division_prefix}
        ).values_list("code", "name")
    )  # fmt: skip
    rows = []
    for name, s in SPECS.items():
        f = found.get(name)
        if f is None or (group and s.group != group):
            continue
        where = (
            names.get(f.division_prefix.ljust(12, "0"), f.division_prefix)
            if f.division_prefix
            else "全国"
        )
        rows.append({"name": name, "title": s.title, "group": GROUPS[s.group][0], "found": f,
                     "unit": UNITS[s.unit][0], "where": where})  # fmt: skip
    return rows


@login_required_view
def parameter_page(request: AuthedRequest) -> HttpResponse:
    """救助参数: the value in force for the user's division on a date, where it comes from
    and since when; approvers set a value for their division or one below it."""
    from minzheng.assistance import forms
    from minzheng.assistance.catalogue import GROUPS, SPECS, from_display, spec
    from minzheng.assistance.parameters import may_set, parameter_set

    user = request.user
    home = user.division.prefix if user.division is not None else ""
    if request.method == "POST":
        try:
            if not user.has_role(Role.APPROVER) and not user.is_superuser:
                raise forms.InputError("forbidden", "只有审批人员可以设置参数",
                                       "only approvers set parameters")  # fmt: skip
            s = spec(request.POST.get("name", ""))
            _row, what = parameter_set(
                actor=user, name=s.name, division_prefix=request.POST.get("division", home),
                value=from_display(s, forms.required(request.POST.get("value"), "取值", "a value")),
                valid_from=forms.day(request.POST.get("valid_from")),
                valid_to=forms.day(request.POST["valid_to"]) if request.POST.get("valid_to") else None,
                note=request.POST.get("note", "")[:200],
            )  # fmt: skip
        except BilingualError as err:
            messages.error(request, f"{err.message} / {err.message_en}")
        else:
            labels = {"created": _("已设置"), "corrected": _("已更正"), "unchanged": _("取值未变")}
            messages.success(request, labels[what])
        return redirect(request.get_full_path())
    try:
        on = forms.day(request.GET.get("on"), default=dt.date.today())
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
        on = dt.date.today()
    code = _param_division(request)
    group = request.GET.get("group", "") if request.GET.get("group") in GROUPS else ""
    ctx = {"nav": "parameters", "rows": _param_rows(code, on, group), "on": on, "code": code,
           "group": group, "groups": [(k, v[0]) for k, v in GROUPS.items()], "home": home,
           "specs": [(n, s.title) for n, s in SPECS.items()],
           "may_set": user.has_role(Role.APPROVER) and may_set(user, home)}  # fmt: skip
    return render(request, "assistance/parameters.html", ctx)


@login_required_view
def parameter_export(request: AuthedRequest) -> HttpResponse:
    """The values in force (as on the page) as .xlsx, in the import's columns."""
    from minzheng.assistance import forms
    from minzheng.assistance.param_io import HEADERS
    from minzheng.core.xlsx import workbook_bytes, xlsx_response

    try:
        on = forms.day(request.GET.get("on"), default=dt.date.today())
    except BilingualError:
        on = dt.date.today()
    code = _param_division(request)
    rows = [
        [r["name"], r["found"].division_prefix, r["found"].display, r["found"].valid_from.isoformat(),
         r["found"].valid_to.isoformat() if r["found"].valid_to else "", r["found"].note,
         r["title"], r["unit"]]
        for r in _param_rows(code, on, request.GET.get("group", ""))
    ]  # fmt: skip
    return xlsx_response(workbook_bytes("救助参数", HEADERS, rows),
                         f"救助参数_{code or '全国'}_{on:%Y%m%d}.xlsx")  # fmt: skip


@login_required_view
def parameter_template(request: AuthedRequest) -> HttpResponse:
    """A blank import template: the columns (区划 as text), and a 填表说明 sheet listing
    every parameter with its unit and national default."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from minzheng.assistance.catalogue import GROUPS, SPECS, UNITS, to_display
    from minzheng.assistance.param_io import HEADERS
    from minzheng.core.xlsx import xlsx_response

    wb = Workbook()
    ws = wb.active
    ws.title = "救助参数"
    ws.append(HEADERS)
    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in range(2, 502):
        ws.cell(row=row, column=2).number_format = "@"  # 区划 codes stay text
    guide = wb.create_sheet("填表说明")
    guide.append(["参数", "名称", "单位", "分组", "全国默认值"])
    guide.append(["说明", "每行一个参数取值；区划留空表示全国；金额按元填写，保留两位小数；"
                  "日期写成 2024-07-01；名称、单位两列导入时忽略。", "", "", ""])  # fmt: skip
    for s in SPECS.values():
        guide.append(
            [s.name, s.title, UNITS[s.unit][0], GROUPS[s.group][0], to_display(s, s.default)]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return xlsx_response(buf.getvalue(), "救助参数导入模板.xlsx")


@require_POST
@login_required_view
def parameter_import(request: AuthedRequest) -> HttpResponse:
    """Upload a parameter table; every bad row is reported with its row, column and reason."""
    from minzheng.assistance import forms
    from minzheng.assistance.param_io import parameters_import

    report = None
    try:
        if not request.user.has_role(Role.APPROVER) and not request.user.is_superuser:
            raise forms.InputError("forbidden", "只有审批人员可以导入参数",
                                   "only approvers import parameters")  # fmt: skip
        path = forms.saved_upload(request.FILES.get("file"))
        report = parameters_import(path, actor=request.user).as_dict()
    except BilingualError as err:
        messages.error(request, f"{err.message} / {err.message_en}")
        return redirect("assistance:parameters")
    return render(
        request, "assistance/parameter_import.html", {"nav": "parameters", "report": report}
    )


# --- price indices and the price-subsidy roster (价格临时补贴) -------------------------------
def _index_fired(idx: PriceIndex) -> bool:
    """Whether the month's index reached its region's thresholds."""
    from minzheng.assistance.catalogue import spec
    from minzheng.assistance.parameters import parameter_lookup

    def threshold(name: str) -> int:
        found = parameter_lookup(name, idx.division_prefix, idx.month)
        return found.value if found is not None else spec(name).default

    return bool(
        idx.cpi_permille >= threshold("cpi_threshold_permille")
        or idx.food_permille >= threshold("food_cpi_threshold_permille")
    )


def _price_post(request: AuthedRequest) -> Any:
    """Import an index file (returns its report) or make a county's subsidy roster."""
    from minzheng.assistance import forms
    from minzheng.assistance.parameters import may_set
    from minzheng.assistance.price import price_index_import, price_roster

    user = request.user
    if not user.has_role(Role.APPROVER):
        raise forms.InputError("forbidden", "只有审批人员可以导入价格指数或生成补贴花名册",
                               "only approvers import indices or make subsidy rosters")  # fmt: skip
    if request.POST.get("action") != "roster":
        path = forms.saved_upload(request.FILES.get("file"))
        return price_index_import(path, source=request.POST.get("source", "").strip(),
                                  allowed=lambda prefix: may_set(user, prefix))  # fmt: skip
    county = next((c for c in _downloadable(user) if str(c.pk) == request.POST.get("county")), None)
    if county is None:
        raise PaymentError("county", "请选择县（区）", "choose a county")
    roster, why = price_roster(
        actor=user, county=county, month=forms.month(request.POST.get("month"))
    )
    if why.triggered:
        messages.success(
            request, _("已生成价格临时补贴花名册：%(rows)s 人") % {"rows": roster.rows}
        )
    else:
        messages.warning(request, _("未达到启动条件：%(why)s") % {"why": why.text})
    return roster


@data_required
def price_page(request: AuthedRequest) -> HttpResponse:
    """价格临时补贴: import the monthly CPI (row/column/reason report), see which months
    reached the thresholds, and make a county's subsidy roster."""
    report = None
    if request.method == "POST":
        try:
            got = _price_post(request)
        except BilingualError as err:
            messages.error(request, f"{err.message} / {err.message_en}")
            return redirect("assistance:prices")
        if isinstance(got, Roster):
            return redirect("assistance:roster", pk=got.pk)
        report = got
    ctx: dict[str, Any] = {"nav": "prices", "report": report, "counties": _downloadable(request.user),
                           "month": dt.date.today().strftime("%Y-%m"),
                           **paginate(request, PriceIndex.objects.order_by("-month", "division_prefix"))}  # fmt: skip
    ctx["rows"] = [
        (idx, _index_fired(idx), f"{idx.cpi_permille / 10:.1f}", f"{idx.food_permille / 10:.1f}")
        for idx in ctx["page"]
    ]
    return render(request, "assistance/prices.html", ctx)

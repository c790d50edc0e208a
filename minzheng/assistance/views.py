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
from minzheng.accounts.services import audit_export, audit_read
from minzheng.assistance import cases as svc
from minzheng.assistance.models import (
    AttachmentKind,
    Case,
    CaseState,
    Channel,
    Payment,
    Programme,
    Roster,
)
from minzheng.assistance.payments import PaymentError, roster_export, roster_generate
from minzheng.core.access import AuthedRequest, data_required, edit_required
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
    from minzheng.registry.models import Person

    roster = get_object_or_404(Roster.objects.filter(division__in=_counties(request.user)), pk=pk)
    lines = (
        Payment.objects.filter(roster=roster, payee__in=Person.objects.visible_to(request.user))
        .select_related("payee", "enrolment__household")
        .order_by("payee__id_number")
    )
    ctx = {"nav": "rosters", "roster": roster, "may_download": covers(request.user, roster.division),
           **paginate(request, lines)}  # fmt: skip
    return render(request, "assistance/roster_detail.html", ctx)


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

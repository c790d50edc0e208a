"""Payment rosters (发放花名册): generate, list, view, download, bank results."""

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
from minzheng.accounts.services import audit_export
from minzheng.assistance.models import Payment, Programme, Roster
from minzheng.assistance.payments import PaymentError, roster_export, roster_generate
from minzheng.assistance.views.common import downloadable_counties, user_counties
from minzheng.core.access import AuthedRequest, data_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate


@data_required
def roster_list(request: AuthedRequest) -> HttpResponse:
    """发放花名册: generate a county's month (approvers), list and download."""
    counties = user_counties(request.user)
    if request.method == "POST":
        if not request.user.has_role(Role.APPROVER):
            messages.error(request, _("只有审批人员可以生成花名册"))
        else:
            county = next(
                (
                    c
                    for c in downloadable_counties(request.user)
                    if str(c.pk) == request.POST.get("county")
                ),
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
    ctx = {"nav": "rosters", "counties": downloadable_counties(request.user), "programmes": Programme.choices,
           "month": dt.date.today().strftime("%Y-%m"), **paginate(request, rosters)}  # fmt: skip
    return render(request, "assistance/rosters.html", ctx)


@data_required
def roster_download(request: AuthedRequest, pk: int) -> HttpResponse:
    roster = get_object_or_404(
        Roster.objects.filter(division__in=downloadable_counties(request.user)), pk=pk
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
    roster = get_object_or_404(
        Roster.objects.filter(division__in=user_counties(request.user)), pk=pk
    )
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
        Roster.objects.filter(division__in=downloadable_counties(request.user)), pk=pk
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

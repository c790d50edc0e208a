"""Price indices and the price-subsidy roster (价格临时补贴)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from minzheng.accounts.roles import Role
from minzheng.assistance.models import PriceIndex, Roster
from minzheng.assistance.payments import PaymentError
from minzheng.assistance.views.common import downloadable_counties
from minzheng.core.access import AuthedRequest, data_required
from minzheng.core.errors import BilingualError
from minzheng.core.paging import paginate


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
    county = next(
        (c for c in downloadable_counties(user) if str(c.pk) == request.POST.get("county")), None
    )
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
    ctx: dict[str, Any] = {"nav": "prices", "report": report, "counties": downloadable_counties(request.user),
                           "month": dt.date.today().strftime("%Y-%m"),
                           **paginate(request, PriceIndex.objects.order_by("-month", "division_prefix"))}  # fmt: skip
    ctx["rows"] = [
        (idx, _index_fired(idx), f"{idx.cpi_permille / 10:.1f}", f"{idx.food_permille / 10:.1f}")
        for idx in ctx["page"]
    ]
    return render(request, "assistance/prices.html", ctx)

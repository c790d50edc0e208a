"""Household list, file, create and edit pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.services import audit_read, audit_search
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.core.paging import paginate
from minzheng.registry import services
from minzheng.registry.exports import export_households
from minzheng.registry.forms import (
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdSearchForm,
    MemberForm,
)
from minzheng.registry.models import Household
from minzheng.registry.selectors import SearchCriteria, household_file, households_search


def _criteria(request: AuthedRequest) -> SearchCriteria:
    form = HouseholdSearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return SearchCriteria(
        q=data.get("q") or "",
        division=data.get("division"),
        needs_review=bool(data.get("needs_review")),
    )


def _search(request: AuthedRequest) -> tuple[SearchCriteria, QuerySet[Household]]:
    criteria = _criteria(request)
    return criteria, households_search(request.user, criteria)


@data_required
def household_list(request: AuthedRequest) -> HttpResponse:
    """家庭户列表: division tree, search form, paginated table."""
    criteria, qs = _search(request)
    ctx = {
        "nav": "households",
        "form": HouseholdSearchForm(request.GET),
        "criteria": criteria,
        **paginate(request, qs),
    }
    if criteria.q or request.GET.get("page"):
        audit_search(
            actor=request.user,
            object_type="household",
            criteria=criteria.audit_form(),
            rows=ctx["total"],
        )
    partial = request.headers.get("HX-Request") == "true"
    template = "registry/_household_table.html" if partial else "registry/household_list.html"
    return render(request, template, ctx)


@data_required
def household_export(request: AuthedRequest) -> HttpResponse:
    """The current query as .xlsx (audited; full ID numbers only with the export permission)."""
    criteria, qs = _search(request)
    return export_households(request, criteria, qs)


def _visible(request: AuthedRequest, uid: str) -> Household:
    return get_object_or_404(Household.objects.visible_to(request.user), uid=uid)


@data_required
def household_detail(request: AuthedRequest, uid: str) -> HttpResponse:
    """家庭档案: members, incomes, assets, membership history and timeline (a logged read)."""
    household = _visible(request, uid)
    audit_read(
        actor=request.user,
        object_type="household",
        object_id=household.pk,
        household_id=household.pk,
        summary=f"查看家庭档案 {household.ref}",
    )
    return render(
        request,
        "registry/household_detail.html",
        {"nav": "households", "file": household_file(request.user, household)},
    )


@edit_required
def household_create(request: AuthedRequest) -> HttpResponse:
    """新增家庭户 (the hukou division must lie in the user's jurisdiction)."""
    form = HouseholdCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        from minzheng.accounts.scope import covers

        if not covers(request.user, d["hukou_division"]):
            form.add_error("hukou_division", _("该区划不在您的辖区内"))
        else:
            hh = services.household_register(
                actor=request.user,
                ref=d["ref"],
                hukou_division=d["hukou_division"],
                address=d["address"],
                urban=d["urban"],
            )
            messages.success(request, _("已新建家庭档案"))
            return redirect("registry:household", uid=hh.uid)
    return render(
        request, "registry/form.html", {"nav": "households", "form": form, "title": _("新增家庭户")}
    )


@edit_required
def household_edit(request: AuthedRequest, uid: str) -> HttpResponse:
    """修改家庭户: address, residence division, urban/rural."""
    household = _visible(request, uid)
    initial = {
        "address": household.address,
        "urban": household.urban,
        "residence_division": (household.residence_division or household.hukou_division).short_code,
    }
    form = HouseholdEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                actor=request.user, household=household, on=dt.date.today(), **form.cleaned_data
            )
        except ValidationError:
            form.add_error("residence_division", _("该区划不在您的辖区内"))
        else:
            messages.success(request, _("已保存"))
            return redirect("registry:household", uid=household.uid)
    return render(
        request,
        "registry/form.html",
        {"nav": "households", "form": form, "title": _("修改家庭户"), "household": household},
    )


@edit_required
def member_add(request: AuthedRequest, uid: str) -> HttpResponse:
    """添加家庭成员."""
    household = _visible(request, uid)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.person_register(
            actor=request.user,
            household=household,
            name=d["name"],
            relationship=d["relationship"],
            on=dt.date.today(),
            id_number=d["id_number"],
        )
        messages.success(request, _("已添加成员"))
        return redirect("registry:household", uid=household.uid)
    return render(
        request,
        "registry/form.html",
        {"nav": "households", "form": form, "title": _("添加成员"), "household": household},
    )


@require_POST
@edit_required
def household_reviewed(request: AuthedRequest, uid: str) -> HttpResponse:
    """Mark a flagged household as checked."""
    household = _visible(request, uid)
    services.household_mark_reviewed(actor=request.user, household=household)
    return redirect("registry:household", uid=household.uid)

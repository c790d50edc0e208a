"""Person search, the person page (the one place a full ID number is shown) and edit."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from minzheng.accounts.services import audit_read, audit_search
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.core.paging import paginate
from minzheng.identity.resident_id import mask
from minzheng.registry import services
from minzheng.registry.exports import export_persons
from minzheng.registry.forms import PersonEditForm
from minzheng.registry.models import Condition, Income, Location, Person
from minzheng.registry.selectors import persons_search


def _criteria(request: AuthedRequest) -> tuple[str, str]:
    q = request.GET.get("q", "").strip()
    number = request.POST.get("id_number", "").strip() if request.method == "POST" else ""
    return q, number


@data_required
def person_list(request: AuthedRequest) -> HttpResponse:
    """人员查询 by name or pinyin (GET) or by ID number (POST, so it never sits in a URL)."""
    q, number = _criteria(request)
    qs = persons_search(request.user, q=q, id_number=number)
    ctx = {"nav": "persons", "q": q, **paginate(request, qs)}
    if q or number:
        audit_search(
            actor=request.user,
            object_type="person",
            criteria={"q": q, "id_number": mask(number) if number else ""},
            rows=ctx["total"],
        )
    return render(request, "registry/person_list.html", ctx)


@data_required
def person_export(request: AuthedRequest) -> HttpResponse:
    q, _number = _criteria(request)
    return export_persons(request, {"q": q}, persons_search(request.user, q=q))


def _visible(request: AuthedRequest, uid: str) -> Person:
    return get_object_or_404(
        Person.objects.visible_to(request.user).select_related(
            "household", "hukou_division", "residence_division"
        ),
        uid=uid,
    )


@data_required
def person_detail(request: AuthedRequest, uid: str) -> HttpResponse:
    """人员详情, with the full ID number: every opening is recorded."""
    person = _visible(request, uid)
    audit_read(
        actor=request.user,
        object_type="person",
        object_id=person.pk,
        household_id=person.household_id,
        summary=f"查看人员 {person.name}",
    )
    ctx = {
        "nav": "persons",
        "person": person,
        "conditions": Condition.objects.filter(person=person).order_by("-valid_from"),
        "locations": Location.objects.filter(person=person)
        .select_related("hukou_division", "residence_division")
        .order_by("-valid_from"),
        "incomes": Income.objects.filter(person=person).order_by("kind", "-valid_from"),
    }
    return render(request, "registry/person_detail.html", ctx)


@edit_required
def person_edit(request: AuthedRequest, uid: str) -> HttpResponse:
    """修改人员信息."""
    person = _visible(request, uid)
    cond = Condition.objects.current().filter(person=person).first()
    initial = {
        "name": person.name,
        "phone": person.phone,
        **(
            {
                f: getattr(cond, f)
                for f in ("labour_capacity", "disability_category", "disability_grade")
            }
            if cond
            else {}
        ),
    }
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.person_update(
            actor=request.user, person=person, on=dt.date.today(), **form.cleaned_data
        )
        messages.success(request, _("已保存"))
        return redirect("registry:person", uid=person.uid)
    return render(
        request,
        "registry/form.html",
        {"nav": "persons", "form": form, "title": _("修改人员信息"), "person": person},
    )


@data_required
def quality_queue(request: AuthedRequest) -> HttpResponse:
    """数据质量: persons with no division — only national users see them (404 otherwise)."""
    from django.http import Http404

    from minzheng.accounts.scope import scope_of

    if not scope_of(request.user).everything:
        raise Http404
    qs = Person.objects.filter(hukou_division__isnull=True).order_by("pk")
    return render(
        request,
        "registry/person_list.html",
        {"nav": "persons", "quality": True, **paginate(request, qs)},
    )

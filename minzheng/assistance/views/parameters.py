"""Assistance parameters (救助参数): values in force, setting, export, import."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.roles import Role
from minzheng.core.access import AuthedRequest, login_required_view
from minzheng.core.errors import BilingualError
from minzheng.divisions.models import Division


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

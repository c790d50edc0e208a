"""Aggregate data entry pages: data sets × divisions with their approval state, a county's
form (read-only once submitted or approved), a higher level's totals with approve/return,
CSV upload, CSV/ADX download and the CSV template.

Every write posts to one service of :mod:`minzheng.stats.datasets`, which holds the lock,
the jurisdiction and the validation; a refusal is shown with its bilingual reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minzheng.accounts.scope import covers
from minzheng.core.access import AuthedRequest, data_required, edit_required
from minzheng.divisions.models import Division
from minzheng.stats import datasets as svc
from minzheng.stats.adx import values_adx
from minzheng.stats.models import DataApproval, DataApprovalEvent

STATES = {
    "open": (gettext_lazy("未上报"), "info"),
    "submitted": (gettext_lazy("已上报"), "warning"),
    "approved": (gettext_lazy("已审批"), "success"),
    "returned": (gettext_lazy("已退回"), "danger"),
}
ACTION_NAMES = {
    "submit": gettext_lazy("上报"),
    "approve": gettext_lazy("审批通过"),
    "return": gettext_lazy("退回"),
}
STATUS = {"locked": 409, "forbidden": 403}


def default_period(today: dt.date | None = None) -> str:
    """The last quarter that has ended (forms are filled after the quarter)."""
    today = today or dt.date.today()
    q = (today.month - 1) // 3
    return f"{today.year}Q{q}" if q else f"{today.year - 1}Q4"


def _division(request: AuthedRequest, code: str) -> Division:
    """A current division inside the user's jurisdiction (else 404, like elsewhere)."""
    division = Division.objects.current().filter(code=code.ljust(12, "0")).first()
    if division is None or division.level > 3 or not covers(request.user, division):
        raise Http404
    return division


def _state(ds: str, label: str, division: Division) -> dict[str, Any]:
    state = svc.approval_state(ds, label, division.code)
    text, colour = STATES[state]
    return {"code": state, "text": text, "colour": colour}


def _refused(request: AuthedRequest, err: svc.DataSetError) -> None:
    messages.error(request, f"{err.message} / {err.message_en}")


@data_required
def dataset_list(request: AuthedRequest) -> HttpResponse:
    """数据集填报: every data set × the user's division and the divisions just below it."""
    label = _period(request)
    own = request.user.division
    code = request.GET.get("division") or (own.code if own else "")
    base = _division(request, code)
    below = [] if base.level >= 3 else list(Division.objects.current().filter(
        parent=base).order_by("code"))  # fmt: skip
    rows = [base, *below]
    states = {
        (a.dataset, a.division_code): a.state
        for a in DataApproval.objects.filter(period=label, division__in=rows)
    }
    sets = list(svc.datasets().values())
    table = [{"division": d, "cells": [_cell(ds.code, d, states) for ds in sets]} for d in rows]
    ctx = {"nav": "stats_datasets", "period": label, "base": base, "sets": sets, "table": table}
    return render(request, "stats/dataset_list.html", ctx)


def _cell(ds: str, division: Division, states: dict[tuple[str, str], str]) -> dict[str, Any]:
    text, colour = STATES[states.get((ds, division.code), "open")]
    return {"dataset": ds, "text": text, "colour": colour}


def _period(request: AuthedRequest) -> str:
    try:
        return svc.period_label(request.GET.get("period") or default_period())
    except svc.DataSetError as err:
        _refused(request, err)
        return default_period()


def _resolve(request: AuthedRequest, dataset: str, period: str, code: str) -> tuple:
    try:
        return svc.dataset_get(dataset), svc.period_label(period), _division(request, code)
    except svc.DataSetError:
        raise Http404 from None


@data_required
def dataset_form(request: AuthedRequest, dataset: str, period: str, code: str) -> HttpResponse:
    """A county's form (entry) or a higher division's totals, with the approval buttons."""
    ds, label, division = _resolve(request, dataset, period, code)
    posted: dict[str, str] = {}
    field_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        result = _save(request, ds, label, division)
        if result is None:
            return redirect(request.path)
        posted, field_errors, status = result
    ctx = _form_context(request, ds, label, division, posted, field_errors)
    return render(request, "stats/dataset_form.html", ctx, status=status)


def _save(
    request: AuthedRequest, ds: svc.DataSet, label: str, division: Division
) -> tuple[dict[str, str], dict[str, str], int] | None:
    """Save the posted form (and submit it when asked); ``None`` on success."""
    posted = {k: str(v) for k, v in request.POST.items() if k[:2] in ("v_", "c_", "j_")}
    entries, errors = {}, {}
    for ind in ds.indicators:
        try:
            value = svc.parse_value(ind, request.POST.get(f"v_{ind.code}", ""))
        except svc.DataSetError as err:
            errors[ind.code] = f"{err.message} / {err.message_en}"
            continue
        entries[ind.code] = svc.Entry(value, request.POST.get(f"c_{ind.code}", ""),
                                      request.POST.get(f"j_{ind.code}", ""))  # fmt: skip
    if errors:
        messages.error(request, _("有数值格式错误，未保存"))
        return posted, errors, 400
    try:
        saved = svc.values_save(actor=request.user, division=division, period=label,
                                entries=entries, source="web")  # fmt: skip
        if request.POST.get("action") == "submit":
            svc.dataset_submit(actor=request.user, dataset=ds.code, period=label,
                               division=division, source="web")  # fmt: skip
            messages.success(request, _("已保存并上报"))
            return None
    except svc.DataSetError as err:
        _refused(request, err)
        return posted, {}, STATUS.get(err.code, 400)
    messages.success(request, _("已保存：新增 %(c)s 项，修改 %(u)s 项，删除 %(d)s 项")
                     % {"c": saved.created, "u": saved.updated, "d": saved.deleted})  # fmt: skip
    return None


def _form_context(
    request: AuthedRequest, ds: svc.DataSet, label: str, division: Division,
    posted: dict[str, str], field_errors: dict[str, str],
) -> dict[str, Any]:  # fmt: skip
    county = division.level == svc.ENTRY_LEVEL
    state = _state(ds.code, label, division)
    lock = svc.lock_reason(ds.code, label, division) if county else None
    user = request.user
    may_approve = svc.may_approve(user, division)
    ctx = {
        "nav": "stats_datasets",
        "ds": ds,
        "ds_name": ds.zh if _zh() else ds.en,
        "period": label,
        "previous": svc.previous_period(label),
        "division": division,
        "county": county,
        "state": state,
        "lock": lock,
        "editable": county and lock is None and svc.may_enter(user, division),
        "may_submit": county and lock is None and svc.may_enter(user, division),
        "may_approve": may_approve
        and state["code"] != "approved"
        and (state["code"] == "submitted" or not county),
        "may_return": may_approve and state["code"] in ("submitted", "approved"),
        "rows": _rows(ds, label, division, posted, field_errors),
        "events": [
            {"action": ACTION_NAMES[e.action], "event": e}
            for e in DataApprovalEvent.objects.filter(
                approval__dataset=ds.code, approval__period=label, approval__division=division
            ).select_related("actor")
        ],
        "children": [] if county else _children(ds.code, label, division),
        "code": division.short_code,
    }
    return ctx


def _zh() -> bool:
    return (get_language() or "zh").startswith("zh")


def _rows(
    ds: svc.DataSet, label: str, division: Division, posted: dict[str, str],
    field_errors: dict[str, str],
) -> list[dict[str, Any]]:  # fmt: skip
    county = division.level == svc.ENTRY_LEVEL
    now = svc.values_of(ds, label, division)
    prev_label = svc.previous_period(label)
    before = svc.values_of(ds, prev_label, division) if prev_label else {}
    stored = svc.stored_values(ds, label, division) if county else {}
    violations = svc.validate(dataset=ds.code, period=label, division=division) if county else []
    rows = []
    for ind in ds.indicators:
        row = stored.get(ind.code)
        value = svc.fmt(svc.to_report(ind, now[ind.code])) if ind.code in now else ""
        rows.append({
            "code": ind.code,
            "name": ind.zh if _zh() else ind.en,
            "unit": ind.unit,
            "kind": ind.kind,
            "value": posted.get(f"v_{ind.code}", value),
            "previous": svc.fmt(svc.to_report(ind, before[ind.code])) if ind.code in before else "",
            "comment": posted.get(f"c_{ind.code}", row.comment if row else ""),
            "justification": posted.get(f"j_{ind.code}", row.justification if row else ""),
            "error": field_errors.get(ind.code, ""),
            "violations": [
                {"text": v.zh if _zh() else v.en, "blocking": v.blocking}
                for v in violations if v.indicator == ind.code
            ],
        })  # fmt: skip
    return rows


def _children(ds: str, label: str, division: Division) -> list[dict[str, Any]]:
    kids = Division.objects.current().filter(parent=division).order_by("code")
    return [{"division": k, "state": _state(ds, label, k)} for k in kids]


ACTIONS = {"submit": svc.dataset_submit, "approve": svc.dataset_approve}


@data_required
@require_POST
def dataset_action(request: AuthedRequest, dataset: str, period: str, code: str) -> HttpResponse:
    """上报 / 审批 / 退回 one division's data set for a period."""
    ds, label, division = _resolve(request, dataset, period, code)
    action = request.POST.get("action", "")
    kw: dict[str, Any] = {"actor": request.user, "dataset": ds.code, "period": label,
                          "division": division, "source": "web"}  # fmt: skip
    try:
        if action == "return":
            svc.dataset_return(reason=request.POST.get("reason", ""), **kw)
        elif action in ACTIONS:
            ACTIONS[action](**kw)
        else:
            raise Http404
    except svc.DataSetError as err:
        _refused(request, err)
    else:
        messages.success(request, {"submit": _("已上报"), "approve": _("已审批通过"),
                                   "return": _("已退回")}[action])  # fmt: skip
    return redirect("stats:dataset_form", ds.code, label, division.short_code)


@edit_required
def dataset_import(request: AuthedRequest) -> HttpResponse:
    """导入填报数据: a CSV of division,period,indicator,value rows (value in report units)."""
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择文件"))
        else:
            try:
                report = svc.values_import_csv(actor=request.user, data=upload.read(), source="web")
            except svc.DataSetError as err:
                _refused(request, err)
    ctx = {"nav": "stats_datasets", "report": report, "period": default_period(),
           "sets": svc.datasets().values()}  # fmt: skip
    return render(request, "stats/dataset_import.html", ctx)


@data_required
def dataset_export(request: AuthedRequest) -> HttpResponse:
    """下载填报数据 as CSV (report units) or ADX XML (base units) for a period."""
    label = _period(request)
    own = request.user.division
    division = _division(request, request.GET.get("division") or (own.code if own else ""))
    dataset = request.GET.get("dataset", "")
    if dataset and dataset not in svc.datasets():
        raise Http404
    prefix = division.prefix
    if request.GET.get("format") == "adx":
        body, kind, ext = (
            values_adx(period=label, prefix=prefix, dataset=dataset),
            "application/adx+xml",
            "xml",
        )
    else:
        body, kind, ext = "\ufeff" + svc.values_csv(period=label, prefix=prefix, dataset=dataset), "text/csv", "csv"  # fmt: skip
    response = HttpResponse(body.encode(), content_type=f"{kind}; charset=utf-8")
    name = f"{division.name}_{dataset or '填报数据'}_{label}.{ext}"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


@data_required
def dataset_template(request: AuthedRequest, dataset: str, period: str, code: str) -> HttpResponse:
    """下载模板: the county's form as CSV rows to fill in (current values pre-filled)."""
    ds, label, division = _resolve(request, dataset, period, code)
    if division.level != svc.ENTRY_LEVEL:
        raise Http404
    body = "\ufeff" + svc.template_csv(dataset=ds.code, period=label, division=division)
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    name = f"{division.name}_{ds.zh}_{label}_模板.csv"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


urls: list[URLPattern] = [
    path("datasets/", dataset_list, name="datasets"),
    path("datasets/import/", dataset_import, name="dataset_import"),
    path("datasets/export/", dataset_export, name="dataset_export"),
    path("datasets/<str:dataset>/<str:period>/<str:code>/", dataset_form, name="dataset_form"),
    path(
        "datasets/<str:dataset>/<str:period>/<str:code>/action/",
        dataset_action,
        name="dataset_action",
    ),
    path(
        "datasets/<str:dataset>/<str:period>/<str:code>/template.csv",
        dataset_template,
        name="dataset_template",
    ),
]

"""Exports of registry lists: the current query, masked IDs unless permitted, audited."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpResponse

from minzheng.accounts.services import audit_export
from minzheng.core.access import AuthedRequest
from minzheng.core.xlsx import workbook_bytes, xlsx_response
from minzheng.identity.resident_id import mask
from minzheng.registry.models import Household, Person
from minzheng.registry.selectors import SearchCriteria

MAX_ROWS = 100_000  # larger exports belong to the background download centre


def may_export_full_ids(user: object) -> bool:
    return bool(getattr(user, "has_perm", lambda p: False)("accounts.export_full_id"))


def export_filename(user: object, what: str, criteria: SearchCriteria | None = None) -> str:
    """``天河区家庭户_202611.xlsx``: the division and period in the name."""
    division = (
        criteria.division if criteria and criteria.division else getattr(user, "division", None)
    )
    place = division.name if division is not None else ""
    return f"{place}{what}_{dt.date.today():%Y%m}.xlsx"


def export_households(
    request: AuthedRequest, criteria: SearchCriteria, qs: QuerySet[Household]
) -> HttpResponse:
    """家庭户花名册 as .xlsx."""
    full = may_export_full_ids(request.user)
    rows = []
    for hh in qs[:MAX_ROWS]:
        head: Person | None = hh.head
        number = head.id_number if head and head.id_number else ""
        rows.append(
            [
                hh.ref,
                head.name if head else "",
                number if full else mask(number),
                hh.hukou_division.name,
                (hh.residence_division or hh.hukou_division).name,
                hh.address,
                getattr(hh, "member_count", ""),
                "是" if hh.needs_review else "",
            ]
        )
    headers = [
        "户编号",
        "户主姓名",
        "户主身份证号",
        "户籍地",
        "居住地",
        "居住地址",
        "人数",
        "待核实",
    ]
    audit_export(
        actor=request.user,
        object_type="household",
        criteria=criteria.audit_form(),
        rows=len(rows),
        full_ids=full,
    )
    content = workbook_bytes("家庭户", headers, rows)
    return xlsx_response(content, export_filename(request.user, "家庭户花名册", criteria))


def export_persons(request: AuthedRequest, criteria: dict, qs: QuerySet[Person]) -> HttpResponse:
    """人员名单 as .xlsx."""
    full = may_export_full_ids(request.user)
    rows = [
        [
            p.name,
            (p.id_number or "") if full else mask(p.id_number or ""),
            p.get_sex_display(),
            p.birth_date.isoformat() if p.birth_date else "",
            p.household.ref if p.household else "",
            p.get_relationship_display(),
            p.hukou_division.name if p.hukou_division else "",
            p.residence_division.name if p.residence_division else "",
        ]
        for p in qs[:MAX_ROWS]
    ]
    headers = [
        "姓名",
        "公民身份号码",
        "性别",
        "出生日期",
        "户编号",
        "与户主关系",
        "户籍地",
        "居住地",
    ]
    audit_export(
        actor=request.user,
        object_type="person",
        criteria=criteria,
        rows=len(rows),
        full_ids=full,
    )
    return xlsx_response(
        workbook_bytes("人员", headers, rows), export_filename(request.user, "人员名单")
    )

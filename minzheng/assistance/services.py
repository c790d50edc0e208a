"""Assistance services that read the database: the calculator with stored parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minzheng.assistance.assess import AssessError, assess, rulesets
from minzheng.assistance.catalogue import default_rows
from minzheng.assistance.parameters import parameter_rows, parameters_for


def household_assess(doc: Any) -> dict[str, Any]:
    """:func:`~minzheng.assistance.assess.assess` with the stored parameters and divisions.

    A retired division code follows its successor (noted in the answer); an unknown one is
    an error once divisions are loaded. The answer lists every parameter used with the
    division and date it comes from ("which value, from which division, since when").
    """
    from minzheng.divisions.models import Division
    from minzheng.divisions.selectors import division_resolve

    notes: list[str] = []
    name = ""
    if not _database_ready():
        notes.append("数据库未初始化，使用参数目录的全国默认值 / no database: catalogue defaults")
        answer = assess(doc, rows=default_rows())
        answer.update(division_name="", notes=notes, parameters={})
        return answer
    if isinstance(doc, Mapping) and isinstance(doc.get("division"), str | int):
        code = str(doc["division"]).strip()
        found = division_resolve(code) if code.isdigit() else None
        if found is None and Division.objects.exists():
            raise AssessError("division", f"未知的区划代码 {code}", f"unknown division code {code}")
        if found is not None:
            name = found.division.name
            if found.retired_code:
                notes.append(found.note)
                doc = {**doc, "division": found.division.short_code}
    rows = parameter_rows() or default_rows()
    answer = assess(doc, rows=rows)
    answer["division_name"] = name
    answer["notes"] = notes
    answer["parameters"] = _used(answer, doc)
    return answer


def _database_ready() -> bool:
    """Whether the parameter and division tables exist (``minzheng init`` has run)."""
    from django.db import connection

    try:
        names = set(connection.introspection.table_names())
    except Exception:  # no database file or server: the calculator still answers
        return False
    return {"assistance_parameter", "divisions_division"} <= names


def _used(answer: dict[str, Any], doc: Any) -> dict[str, Any]:
    import datetime as dt

    names = sorted({p for rs in rulesets().values() for p in rs.parameters})
    stored = parameters_for(answer["division"], dt.date.fromisoformat(answer["date"]))
    given = set((doc.get("parameters") or {}) if isinstance(doc, Mapping) else ())
    out: dict[str, Any] = {}
    for n in names:
        if n in stored:
            out[n] = stored[n].as_dict()
        else:
            out[n] = {"name": n, "division_prefix": "", "note": "目录默认值 catalogue default"}
    for key in given:
        out.setdefault(key, {"name": key})["overridden"] = True
    return out

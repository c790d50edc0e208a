"""Assistance services that read the database: the calculator with stored parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minzheng.assistance.assess import RATIO_OVERRIDES, AssessError, assess, rulesets
from minzheng.assistance.catalogue import default_rows
from minzheng.assistance.parameters import effective_rows, parameters_for
from minzheng.assistance.simulation import Simulation


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
        found = division_resolve(code) if code.isascii() and code.isdigit() else None
        if found is None and Division.objects.exists():
            raise AssessError("division", f"未知的区划代码 {code}", f"unknown division code {code}")
        if found is not None:
            name = found.division.name
            if found.retired_code:
                notes.append(found.note)
                doc = {**doc, "division": found.division.short_code}
    rows = effective_rows()
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
    from minzheng.assistance.simulation import ALIASES

    aliases: dict[str, tuple[str, ...]] = {
        **ALIASES,
        "dibao_standard_yearly": ALIASES["dibao_standard"],
    }
    aliases.update({k: (v,) for k, v in RATIO_OVERRIDES.items()})
    for key in given:
        for name in aliases.get(key, (key,)):
            entry = out.setdefault(name, {"name": name})
            entry["overridden"] = True
            entry["overridden_by"] = key
    return out


def simulation_run(
    *, division: str, changes: list[str], on: Any, snapshot: Any = None
) -> Simulation:
    """Parse ``NAME=CHANGE`` strings and simulate over the registry (or a Parquet snapshot)."""
    from pathlib import Path

    from minzheng.assistance.catalogue import ParameterError, check_prefix
    from minzheng.assistance.simulation import parse_change, simulate
    from minzheng.divisions.models import Division

    prefix = check_prefix(division)
    parsed = []
    for text in changes:
        name, sep, change = text.partition("=")
        if not sep:
            raise ParameterError(
                "bad_change", f"须写成 参数=变动：{text!r}", f"expected NAME=CHANGE: {text!r}"
            )
        parsed.append(parse_change(name.strip(), change))
    if snapshot is not None:
        from minzheng.engine.snapshot import Snapshot

        tables: dict[str, Any] = dict(Snapshot.read(Path(snapshot)).tables)
    else:
        from minzheng.engine import snapshot_take

        tables = dict(snapshot_take(on=on).tables)
    rows = effective_rows()
    child = {0: 1, 2: 2, 4: 3, 6: 4, 9: 5}.get(len(prefix), 5)
    names = {
        d.prefix: d.name for d in Division.objects.filter(code__startswith=prefix, level=child)
    }
    return simulate(tables, as_of=on, rows=rows, changes=parsed, division=prefix, names=names)


def simulation_export(result: Simulation, out: Any) -> None:
    """The simulation table as .xlsx (or .csv with BOM): one row per division, then 合计."""
    import csv
    from pathlib import Path

    from minzheng.core.xlsx import csv_cell, workbook_bytes

    headers = [f"{zh} {en}" for _, zh, en in result.COLUMNS]
    path = Path(out)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            w.writerows([csv_cell(v) for v in r] for r in result.table_rows())
    else:
        path.write_bytes(workbook_bytes("政策模拟", headers, result.table_rows()))

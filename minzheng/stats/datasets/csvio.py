"""CSV import and export of entered values (report units), and the template."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.divisions.models import Division
from minzheng.stats.catalogue import catalogue
from minzheng.stats.datasets.approval import Entry, values_save
from minzheng.stats.datasets.base import (
    ENTRY_LEVEL,
    DataSetError,
    dataset_get,
    fmt,
    indicator_get,
    parse_value,
    period_label,
    to_report,
)
from minzheng.stats.datasets.validation import stored_values
from minzheng.stats.models import (
    DataValue,
)

# --- CSV import / export ------------------------------------------------------------------

COLUMNS = ("division", "period", "indicator", "value")
OPTIONAL = ("comment", "justification")
ALIASES = {
    "区划代码": "division", "区划": "division", "统计期": "period", "指标代码": "indicator",
    "指标": "indicator", "数值": "value", "备注": "comment", "核实说明": "justification",
}  # fmt: skip


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel and WPS save CSV in China."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


@dataclass
class _Row:
    num: int
    division: Division
    period: str
    code: str
    entry: Entry


def values_import_csv(*, actor: User, data: bytes, source: str = "import") -> dict[str, Any]:
    """Import ``division,period,indicator,value`` rows (value in report units, e.g. 万张;
    optional comment, justification). Bad rows are reported with row, column and reason in
    both languages; the good ones land in one transaction; re-importing changes nothing."""
    reader = csv.reader(io.StringIO(_decode(data)))
    header = [ALIASES.get(h.strip(), h.strip().lower()) for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataSetError(
            "invalid",
            f"缺少列：{'、'.join(missing)}（表头应为 division,period,indicator,value）",
            f"missing column(s): {', '.join(missing)} (header: division,period,indicator,value)",
        )
    report: dict[str, Any] = {"rows": 0, "created": 0, "updated": 0, "deleted": 0,
                              "unchanged": 0, "skipped": 0, "errors": []}  # fmt: skip
    good = _read_rows(actor, reader, header, report)
    with transaction.atomic():
        for (division, period), rows in good.items():
            _import_group(actor, division, period, rows, report, source)
        audit_record(actor=actor, source=source, events=[Audit(
            "import", "datavalue", rows=report["rows"], summary=f"导入填报数据 {report['rows']} 行")])  # fmt: skip
    report["errors"].sort(key=lambda e: (e["row"], e["column"]))
    report["rejected"] = len({e["row"] for e in report["errors"]})
    return report


def _read_rows(
    actor: User, reader: Iterable[list[str]], header: list[str], report: dict[str, Any]
) -> dict[tuple[Division, str], list[_Row]]:
    good: dict[tuple[Division, str], list[_Row]] = defaultdict(list)
    seen: dict[tuple[str, str, str], int] = {}
    divisions: dict[str, Division | None] = {}
    for num, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        report["rows"] += 1
        cell = dict(zip(header, (c.strip() for c in cells), strict=False))
        row = _parse_row(num, cell, divisions, report)
        if row is None:
            continue
        if row.entry.value is None:
            report["skipped"] += 1
            continue
        key = (row.division.code, row.period, row.code)
        if key in seen:
            _error(report, num, "indicator", f"与第 {seen[key]} 行重复",
                   f"duplicates row {seen[key]}")  # fmt: skip
            continue
        seen[key] = num
        good[(row.division, row.period)].append(row)
    return good


def _parse_row(
    num: int, cell: dict[str, str], divisions: dict[str, Division | None], report: dict[str, Any]
) -> _Row | None:
    code = cell.get("division", "")
    if code not in divisions:
        divisions[code] = _county(code)
    division = divisions[code]
    if division is None:
        _error(report, num, "division", f"{code or '空'} 不是现行县级区划代码（6 位或 12 位）",
               f"{code or 'blank'} is not the code of a current county (6 or 12 digits)")  # fmt: skip
        return None
    try:
        period = period_label(cell.get("period", ""))
    except DataSetError as err:
        _error(report, num, "period", err.message, err.message_en)
        return None
    try:
        ind = indicator_get(cell.get("indicator", ""))
    except DataSetError as err:
        _error(report, num, "indicator", err.message, err.message_en)
        return None
    try:
        value = parse_value(ind, cell.get("value", ""))
    except DataSetError as err:
        _error(report, num, "value", err.message, err.message_en)
        return None
    entry = Entry(value, cell.get("comment"), cell.get("justification"))
    return _Row(num, division, period, ind.code, entry)


def _county(code: str) -> Division | None:
    if not re.fullmatch(r"\d{6}(\d{6})?", code):
        return None
    return Division.objects.current().filter(code=code.ljust(12, "0"), level=ENTRY_LEVEL).first()


def _import_group(
    actor: User, division: Division, period: str, rows: list[_Row], report: dict[str, Any],
    source: str,
) -> None:  # fmt: skip
    try:
        with transaction.atomic():
            saved = values_save(actor=actor, division=division, period=period, source=source,
                                entries={r.code: r.entry for r in rows})  # fmt: skip
    except DataSetError as err:
        column = {"locked": "period", "forbidden": "division"}.get(err.code, "value")
        for r in rows:
            _error(report, r.num, column, err.message, err.message_en)
        return
    for key in ("created", "updated", "deleted", "unchanged"):
        report[key] += getattr(saved, key)


def _error(report: dict[str, Any], row: int, column: str, reason: str, reason_en: str) -> None:
    report["errors"].append(
        {"row": row, "column": column, "reason": reason, "reason_en": reason_en}
    )


def values_csv(*, period: str, prefix: str = "", dataset: str = "") -> str:
    """The counties' values of ``period`` under ``prefix`` as CSV, values in report units
    (the import's format: exporting and importing again changes nothing)."""
    label = period_label(period)
    qs = DataValue.objects.filter(period=label, division_code__startswith=prefix)
    if dataset:
        qs = qs.filter(indicator__in=dataset_get(dataset).codes)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*COLUMNS, *OPTIONAL])
    inds = catalogue().indicators
    for r in qs.order_by("division_code", "indicator"):
        value = fmt(to_report(inds[r.indicator], r.value))
        w.writerow([r.division_code[:6], label, r.indicator, value, r.comment, r.justification])
    return out.getvalue()


def template_csv(*, dataset: str, period: str, division: Division) -> str:
    """A CSV to fill in: one row per indicator of ``dataset``, its unit and name as help
    (extra columns the import ignores); rows left without a value are skipped."""
    ds, label = dataset_get(dataset), period_label(period)
    stored = stored_values(ds, label, division)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*COLUMNS, *OPTIONAL, "unit", "name"])
    for ind in ds.indicators:
        row = stored.get(ind.code)
        value = fmt(to_report(ind, row.value)) if row else ""
        w.writerow([division.code[:6], label, ind.code, value, row.comment if row else "",
                    row.justification if row else "", ind.unit, ind.zh])  # fmt: skip
    return out.getvalue()

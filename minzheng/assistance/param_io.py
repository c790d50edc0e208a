"""Parameter tables in and out of spreadsheets (.xlsx or .csv), in display units (yuan).

Columns: 参数 name · 区划 division · 取值 value · 起始日期 valid_from · 截止日期 valid_to ·
依据 note (plus 名称/单位 on export, ignored on import). Every bad row is reported with its
row, column and reason in Chinese and English; the good rows still land, each through
:func:`~minzheng.assistance.parameters.parameter_set` (so re-importing changes nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from minzheng.accounts.models import User
from minzheng.assistance.catalogue import SPECS, UNITS, to_display
from minzheng.assistance.models import Parameter
from minzheng.assistance.parameters import parameter_set
from minzheng.core.errors import BilingualError
from minzheng.core.xlsx import csv_cell
from minzheng.registry.importing.readers import UnreadableFile, bad_cells, sheets
from minzheng.registry.importing.values import BadValue, date_value

COLUMNS = {
    "name": ("参数", "name"),
    "division": ("区划", "division"),
    "value": ("取值", "value"),
    "valid_from": ("起始日期", "valid_from"),
    "valid_to": ("截止日期", "valid_to"),
    "note": ("依据", "note"),
}
EXTRA = ("名称", "单位")  # written on export for people, ignored on import


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "rejected": len({e["row"] for e in self.errors}),
            "errors": self.errors,
        }


def parameters_import(path: Path, *, actor: User | None) -> ImportResult:
    """Read ``path`` and set each good row; see the module docstring."""
    result = ImportResult()
    try:
        sheet = next(iter(sheets(Path(path))))
    except UnreadableFile as exc:
        result.errors.append(_err(0, "", exc.message, exc.message_en))
        return result
    except StopIteration:
        result.errors.append(_err(0, "", "文件为空", "the file is empty"))
        return result
    # Our own exports (.xlsx and .csv) guard formula-like text with an apostrophe
    # (core.xlsx.safe_cell); it is dropped again here, so such a note round-trips unchanged.
    index = _header(sheet.headers)
    missing = [c for c in ("name", "value", "valid_from") if c not in index]
    if missing:
        zh = "、".join(COLUMNS[c][0] for c in missing)
        result.errors.append(
            _err(1, zh, f"缺少列：{zh}", f"missing column(s): {', '.join(missing)}")
        )
        return result
    for row_no, cells in sheet.rows:
        if all(c in (None, "") for c in cells):
            continue
        result.rows += 1
        got = {k: cells[i] if i < len(cells) else None for k, i in index.items()}
        unreadable = bad_cells(got)
        if unreadable:
            result.errors.extend(
                _err(row_no, COLUMNS[k][0], c.reason, c.reason_en) for k, c in unreadable
            )
            continue
        got = {k: _unguard(v) for k, v in got.items()}
        try:
            args = _row(got)
        except _CellError as err:
            result.errors.append(_err(row_no, COLUMNS[err.column][0], err.message, err.message_en))
            continue
        try:
            with transaction.atomic():
                _, what = parameter_set(actor=actor, **args)
        except BilingualError as err:
            column = COLUMNS[_SET_ERROR_COLUMNS.get(err.code, "value")][0]
            result.errors.append(_err(row_no, column, err.message, err.message_en))
            continue
        setattr(result, what, getattr(result, what) + 1)
    return result


# parameter_set's error codes → the column the person must fix (anything else: 取值).
_SET_ERROR_COLUMNS = {
    "forbidden": "division",
    "bad_division": "division",
    "bad_dates": "valid_to",
    "unknown_parameter": "name",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what core.xlsx.safe_cell guards


def _unguard(cell: Any) -> Any:
    """``'=x`` → ``=x``: drop the one apostrophe the export put before formula-like text."""
    if isinstance(cell, str) and cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


class _CellError(BilingualError):
    def __init__(self, column: str, message: str, message_en: str) -> None:
        super().__init__("bad_cell", message, message_en)
        self.column = column


def _header(headers: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, h in enumerate(headers):
        text = str(h or "").strip()
        for key, names in COLUMNS.items():
            if text in names or text.lower() in names:
                out.setdefault(key, i)
    return out


def _row(got: dict[str, Any]) -> dict[str, Any]:
    from minzheng.assistance.catalogue import ParameterError, check_prefix, from_display

    name = str(got.get("name") or "").strip()
    if name not in SPECS:
        raise _CellError("name", f"未知参数 {name!r}", f"unknown parameter {name!r}")
    s = SPECS[name]
    raw = got.get("value")
    if raw in (None, ""):
        raise _CellError("value", "取值不能为空", "value is empty")
    try:
        value = from_display(s, raw)
    except ParameterError as err:
        raise _CellError("value", err.message, err.message_en) from None
    try:
        prefix = check_prefix(_code(got.get("division")))
    except ParameterError as err:
        raise _CellError("division", err.message, err.message_en) from None
    start = _day(got.get("valid_from"), "valid_from")
    if start is None:
        raise _CellError("valid_from", "起始日期不能为空", "valid_from is empty")
    return {
        "name": name,
        "division_prefix": prefix,
        "value": value,
        "valid_from": start,
        "valid_to": _day(got.get("valid_to"), "valid_to"),
        "note": str(got.get("note") or "").strip()[:200],
    }


def _code(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _day(cell: Any, column: str) -> dt.date | None:
    """A date as the registry importer reads it: date cells, 2024-07-01, 2024/7/1,
    2024.7.1, 2024年7月1日, 20240701; blank → None."""
    try:
        return date_value(cell)
    except BadValue:
        raise _CellError(
            column,
            f"日期 {cell!r} 格式须为 YYYY-MM-DD（如 2024-07-01、2024/7/1 或 2024年7月1日）",
            f"date {cell!r} must be YYYY-MM-DD (e.g. 2024-07-01, 2024/7/1 or 2024年7月1日)",
        ) from None


def _err(row: int, column: str, message: str, message_en: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message, "message_en": message_en}


def export_rows(division: str = "") -> list[list[Any]]:
    """Rows for ``division`` and every level above it (all rows when empty)."""
    qs = Parameter.objects.order_by("name", "division_prefix", "valid_from")
    if division:
        qs = qs.filter(division_prefix__in=[division[:n] for n in (0, 2, 4, 6, 9, 12)])
    out = []
    for r in qs:
        s = SPECS.get(r.name)
        if s is None:
            continue
        out.append(
            [
                r.name,
                r.division_prefix,
                to_display(s, r.value),
                r.valid_from.isoformat(),
                r.valid_to.isoformat() if r.valid_to else "",
                r.note,
                s.title,
                UNITS[s.unit][0],
            ]
        )
    return out


HEADERS = [*(v[0] for v in COLUMNS.values()), *EXTRA]


def parameters_export(out: Path, *, division: str = "") -> int:
    """Write the rows to ``out`` (.xlsx, or .csv in UTF-8 with BOM for Excel)."""
    rows = export_rows(division)
    out = Path(out)
    if out.suffix.lower() == ".csv":
        import csv

        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADERS)
            w.writerows([csv_cell(v) for v in r] for r in rows)
    else:
        from minzheng.core.xlsx import workbook_bytes

        out.write_bytes(workbook_bytes("救助参数", HEADERS, rows))
    return len(rows)

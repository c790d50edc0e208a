"""The error report of an import: rejected rows as uploaded, bad cells in red, a reason column."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from minzheng.core.xlsx import safe_cell
from minzheng.registry.importing.readers import BadCell, Cell, sheets
from minzheng.registry.importing.values import text


def error_report_xlsx(path: Path, report: dict[str, Any]) -> bytes:
    """Rows of ``path`` named in ``report['errors']`` with their cells and reasons."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    by_row: dict[int, list[dict[str, Any]]] = {}
    for e in report.get("errors", []):
        by_row.setdefault(e["row"], []).append(e)
    found = list(sheets(path))
    sheet = next((s for s in found if s.name == report.get("sheet")), found[0])
    wb = Workbook()
    ws = wb.active
    ws.title = "错误报告"
    ws.append(["原行号", *sheet.headers, "错误原因", "Reason"])
    for c in ws[1]:
        c.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FFC7CE")
    for rownum, cells in sheet.rows:
        errs = by_row.get(rownum)
        if not errs:
            continue
        ws.append(
            [
                rownum,
                *[safe_cell(_shown(c)) for c in cells],
                "；".join(f"{e['column']}：{e['reason']}" for e in errs),
                "; ".join(f"{e['column']}: {e['reason_en']}" for e in errs),
            ]
        )
        bad = {e["column"] for e in errs}
        for i, h in enumerate(sheet.headers, start=2):
            cell = ws.cell(row=ws.max_row, column=i)
            cell.number_format = "@"
            if h in bad:
                cell.fill = red
    ws.freeze_panes = "B2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shown(cell: Cell) -> str:
    """A cell as the report shows it: a cell that could not be read, as it was written."""
    return str(cell)[:1000] if isinstance(cell, BadCell) else text(cell)

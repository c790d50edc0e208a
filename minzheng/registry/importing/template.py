"""The downloadable import template: data sheet (text-formatted codes, dropdowns) + 填表说明."""

from __future__ import annotations

from pathlib import Path

from minzheng.registry.importing.columns import REGISTRY_COLUMNS, Column

TEMPLATE_ROWS = 2000  # rows pre-formatted as text / given dropdowns


def data_sheet(ws: object, columns: tuple[Column, ...]) -> None:
    """Header row, text-formatted code columns and dropdowns (shared with the feed templates)."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.title = "导入数据"  # type: ignore[attr-defined]
    bold, red = Font(bold=True), Font(bold=True, color="C00000")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.zh)  # type: ignore[attr-defined]
        cell.font, cell.fill = (red if col.required else bold), fill
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(col.zh) * 2 + 4)  # type: ignore[attr-defined]
        if col.text:
            for r in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=r, column=i).number_format = "@"  # type: ignore[attr-defined]
        if col.choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(col.choices) + '"',
                allow_blank=True,
                showErrorMessage=False,
            )
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)  # type: ignore[attr-defined]
    ws.freeze_panes = "A2"  # type: ignore[attr-defined]


def _help_sheet(ws: object, columns: tuple[Column, ...]) -> None:
    from openpyxl.styles import Font

    rows = [
        ["填表说明 / Instructions"],
        ["1. 每行一名人员，同一户的成员填写相同的户编号；红色列为必填。"],
        [
            "2. 公民身份号码列已设置为文本格式；若从其他表格粘贴，请“选择性粘贴 → 数值”，"
            "否则 Excel 会把 18 位号码变成 4.40106E+17 并丢失位数，此类行会被拒绝。"
        ],
        [
            "3. 行政区划代码填 6 位（县）、9 位（乡镇街道）或 12 位（村居）；已撤销的代码会自动对应到现行区划。"
        ],
        ["4. 重复导入同一文件不会产生重复数据；修改某行后再次导入只更新该行。"],
        [],
        ["列名", "English", "必填", "说明"],
    ]
    rows += [[c.zh, c.en, "是" if c.required else "", c.help] for c in columns]
    for r in rows:
        ws.append(r)  # type: ignore[attr-defined]
    ws["A1"].font = Font(bold=True, size=14)  # type: ignore[index]
    for letter, width in zip("ABCD", (22, 22, 8, 80), strict=True):
        ws.column_dimensions[letter].width = width  # type: ignore[attr-defined]


def write_template(path: Path, columns: tuple[Column, ...] = REGISTRY_COLUMNS) -> Path:
    """Write the registry import template to ``path`` (.xlsx)."""
    from openpyxl import Workbook

    wb = Workbook()
    data_sheet(wb.active, columns)
    _help_sheet(wb.create_sheet("填表说明"), columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path

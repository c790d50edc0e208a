"""The downloadable import template: a 节假日安排 sheet (dates, a 休/班 dropdown) + 填表说明."""

from __future__ import annotations

import io

from minzheng.workdays.importing import COLUMNS

TEMPLATE_ROWS = 200  # rows pre-formatted as dates and given the dropdown


def template_xlsx() -> bytes:
    """A blank import template: 日期 formatted as dates, 类型 as a 休/班 dropdown, 填表说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "节假日安排"
    ws.append([c.zh for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in range(2, TEMPLATE_ROWS + 2):
        ws.cell(row=r, column=1).number_format = "yyyy-mm-dd"
    kinds = DataValidation(type="list", formula1='"休,班"', allow_blank=True)
    kinds.add(f"B2:B{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(kinds)
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 14
    help_ws = wb.create_sheet("填表说明")
    for line in (
        ["填表说明 / Instructions"],
        [
            "1. 按国务院办公厅当年的节假日安排通知填写：每个放假日一行（含周末），每个调休上班日一行。"
        ],
        ["2. 类型填 休（放假）或 班（调休上班）；调休上班日必须是周六或周日。"],
        ["3. 整个文件无错误时，该年份才标记为已导入；重复导入同一文件不会产生重复数据。"],
        ["4. 示例（2026 年）：2026-01-01 休 元旦；2026-01-04 班 元旦。"],
        [],
        ["列名", "English", "必填", "说明"],
        *[[c.zh, c.en, "是" if c.required else "", c.help] for c in COLUMNS],
    ):
        help_ws.append(line)
    help_ws["A1"].font = Font(bold=True, size=14)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

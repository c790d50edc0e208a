"""The statistics report (form JBZH0001) rendered from one :class:`ReportTable`: Excel in
the official layout, PDF with an embedded CJK font, and the bilingual narrative (Markdown).

:func:`report_export` is the one service the command line and the download view call:
build the table, protect small cells for a public report, render, audit.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF

from minzheng.stats.figures import ChildTable, ReportError, ReportRow, ReportTable, report_table

FORMATS = ("xlsx", "pdf", "md")
FORM_CODE = "JBZH0001"
HEAD_ZH = ("指标名称", "计量单位", "代码", "本期", "上期", "增减", "增减%")
HEAD_EN = ("Indicator", "Unit", "Code", "This period", "Previous", "Change", "Change %")
# Decimal places shown per report unit: 万-units keep single persons (0.0001万人 = 1人).
PLACES = {"万人": 4, "万户": 4, "万人次": 4, "万张": 4, "万对": 4, "万具": 4, "亿元": 2}
PLACES |= {"元/人·月": 2, "元/人·年": 2, "元": 2, "%": 1}
MISSING = "—"
HIDDEN = "*"
QUARTER_ZH = ("一", "二", "三", "四")
MONTH_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")  # fmt: skip


# --- words and numbers shared by the renderers ------------------------------------------


def title_zh(period: str) -> str:
    """民政统计季报 / 月报 / 年报 by the period's length."""
    return "民政统计" + ("季报" if "Q" in period else "月报" if "-" in period else "年报")


def title_en(period: str) -> str:
    kind = "quarterly" if "Q" in period else "monthly" if "-" in period else "annual"
    return f"Civil-affairs statistics, {kind} report"


def period_zh(period: str) -> str:
    """2024Q3 → 2024年第三季度; 2024-07 → 2024年7月; 2024 → 2024年."""
    year = period[:4]
    if "Q" in period:
        return f"{year}年第{QUARTER_ZH[int(period[-1]) - 1]}季度"
    return f"{year}年{int(period[5:])}月" if "-" in period else f"{year}年"


def period_en(period: str) -> str:
    year = period[:4]
    if "Q" in period:
        return f"Q{period[-1]} {year}"
    return f"{MONTH_EN[int(period[5:]) - 1]} {year}" if "-" in period else year


def division_label(table: ReportTable) -> str:
    if not table.division_code:
        return table.division_name
    return f"{table.division_name}（{table.division_code}）"


def places(unit: str) -> int:
    return PLACES.get(unit, 0)


def number(value: Decimal | None, unit: str, *, grouped: bool = True) -> str:
    """A table figure as text: fixed decimals per unit, digits grouped."""
    if value is None:
        return MISSING
    q = Decimal(1).scaleb(-places(unit))
    text = format(value.quantize(q), ",f" if grouped else "f")
    return text


def cells(row: ReportRow, *, en: bool = False) -> list[str]:
    """One indicator's printed row: name, unit, code, 本期, 上期, 增减, 增减%."""

    def shown(col: str, value: Decimal | None) -> str:
        return HIDDEN if col in row.hidden else number(value, row.unit)

    pct = row.change_pct
    return [
        row.en if en else row.zh,
        row.unit,
        row.code,
        shown("value", row.value),
        shown("previous", row.previous),
        shown("change", row.change),
        HIDDEN if "change" in row.hidden else (MISSING if pct is None else f"{pct}"),
    ]


def child_cells(kids: ChildTable, i: int) -> list[str]:
    """Row ``i`` of the breakdown as printed: grouped digits, ``*`` withheld, ``—`` none."""
    return [
        HIDDEN if (i, j) in kids.hidden else MISSING if v is None else f"{v:,}"
        for j, v in enumerate(kids.cells[i])
    ]


def status_zh(table: ReportTable) -> str:
    return "初步数（统计期未结束）" if table.provisional else "正式数"


def status_en(table: ReportTable) -> str:
    return "provisional (period not over)" if table.provisional else "final"


def footnotes(table: ReportTable) -> list[tuple[str, str]]:
    """(Chinese, English) notes printed under every rendering."""
    from minzheng.stats.suppress import NOTE, threshold_setting

    notes = [
        (
            f"数据来源：统计快照 {table.period} 第{table.snapshot_version}版（登记数据截至"
            f"{table.registry_as_of}，代码版本 {table.code_version}）；填报指标来自汇总数据集。",
            f"Source: statistics snapshot {table.period} version {table.snapshot_version} "
            f"(registry as of {table.registry_as_of}, code version {table.code_version}); "
            "entered indicators from the aggregate data sets.",
        ),
        ("“—”表示无数据。", "“—” means no figure."),
    ]
    if table.public:
        n = threshold_setting()
        notes.append((NOTE[0].format(n=n), NOTE[1].format(n=n)))
    return notes


# --- Excel -----------------------------------------------------------------------------


def render_xlsx(table: ReportTable) -> bytes:
    """The report as .xlsx: the form in Chinese, the same in English, the breakdown."""
    from openpyxl import Workbook

    wb = Workbook()
    _form_sheet(wb.active, table, en=False)
    _form_sheet(wb.create_sheet(), table, en=True)
    if table.children is not None:
        _children_sheet(wb.create_sheet(), table, table.children)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="909399")
    return {
        "title": Font(size=16, bold=True),
        "bold": Font(bold=True),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
        "right": Alignment(horizontal="right", vertical="center"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "head": PatternFill("solid", fgColor="DCDFE6"),
        "section": PatternFill("solid", fgColor="ECF5FF"),
    }


def _form_sheet(ws: Any, table: ReportTable, *, en: bool) -> None:
    from minzheng.core.xlsx import safe_cell

    st = _styles()
    ws.title = "English" if en else "统计表"
    head = HEAD_EN if en else HEAD_ZH
    title = title_en(table.period) if en else title_zh(table.period)
    ws.merge_cells("A1:G1")
    ws["A1"] = title
    ws["A1"].font, ws["A1"].alignment = st["title"], st["center"]
    ws.row_dimensions[1].height = 30
    who = "Reporting unit" if en else "填报单位"
    info = [
        ("A2:C2", f"{who}: {division_label(table)}" if en else f"填报单位：{division_label(table)}"),
        ("D2:E2", ("Period: " + period_en(table.period)) if en else "统计期：" + period_zh(table.period)),
        ("F2:G2", f"Form {FORM_CODE}" if en else f"表号：{FORM_CODE}"),
        ("A3:C3", "Unit: as given for each indicator" if en else "计量单位：见各指标"),
        ("D3:E3", ("Status: " + status_en(table)) if en else "数据状态：" + status_zh(table)),
        ("F3:G3", ("Compiled by: Minzheng" if en else "制表：民政综合平台")
         + f" · v{table.snapshot_version}"),
    ]  # fmt: skip
    for ref, text in info:
        ws.merge_cells(ref)
        cell = ws[ref.split(":")[0]]
        cell.value = safe_cell(text)
        cell.alignment = st["left"]
    for j, text in enumerate(head, start=1):
        c = ws.cell(row=4, column=j, value=text)
        c.font, c.fill, c.alignment, c.border = st["bold"], st["head"], st["center"], st["border"]
    r = 5
    for section in table.sections:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
        c = ws.cell(row=r, column=1, value=section.en if en else section.zh)
        c.font, c.fill = st["bold"], st["section"]
        for j in range(1, 8):
            ws.cell(row=r, column=j).border = st["border"]
        r += 1
        for row in section.rows:
            _form_row(ws, r, row, en=en, st=st)
            r += 1
    for zh, en_text in footnotes(table):
        r += 1
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
        ws.cell(row=r, column=1, value=safe_cell(en_text if en else zh)).alignment = st["left"]
        ws.row_dimensions[r].height = 30
    for col, width in zip("ABCDEFG", (44, 12, 9, 16, 16, 14, 10), strict=True):
        ws.column_dimensions[col].width = width
    _printable(ws, "4:4")


def _form_row(ws: Any, r: int, row: ReportRow, *, en: bool, st: dict[str, Any]) -> None:
    fmt = "#,##0" + ("." + "0" * places(row.unit) if places(row.unit) else "")
    texts = cells(row, en=en)
    values: list[Any] = [
        texts[0],
        row.unit,
        row.code,
        row.value,
        row.previous,
        row.change,
        row.change_pct,
    ]
    for j, v in enumerate(values, start=1):
        hidden = texts[j - 1] == HIDDEN
        c = ws.cell(row=r, column=j, value=HIDDEN if hidden else v)
        c.border = st["border"]
        if j >= 4:
            c.alignment = st["right"]
            c.number_format = "0.0" if j == 7 else fmt
        elif j != 1:
            c.alignment = st["center"]


def _children_sheet(ws: Any, table: ReportTable, kids: ChildTable) -> None:
    from minzheng.core.xlsx import safe_cell
    from minzheng.stats.catalogue import UNITS, catalogue

    st = _styles()
    cat = catalogue().indicators
    ws.title = "分地区 By division"
    last = 2 + len(kids.codes)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws["A1"] = f"{division_label(table)} {period_zh(table.period)} 分地区主要指标 / by division"
    ws["A1"].font, ws["A1"].alignment = st["title"], st["center"]
    head = ["区划代码 Code", "区划名称 Division"] + [
        f"{cat[c].zh}（{UNITS[cat[c].unit][0]}）\n{cat[c].en}" for c in kids.codes
    ]
    for j, text in enumerate(head, start=1):
        c = ws.cell(row=2, column=j, value=text)
        c.font, c.fill, c.alignment, c.border = st["bold"], st["head"], st["center"], st["border"]
    ws.row_dimensions[2].height = 60
    for i, ((code, name), values) in enumerate(zip(kids.divisions, kids.cells, strict=True)):
        row = [code, safe_cell(name)] + [
            HIDDEN if (i, j) in kids.hidden else v for j, v in enumerate(values)
        ]
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=3 + i, column=j, value=v)
            c.border = st["border"]
            c.number_format = "@" if j == 1 else "#,##0"
            if i == len(kids.cells) - 1:
                c.font = st["bold"]
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 20
    for j in range(3, last + 1):
        ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = 16
    _printable(ws, "2:2")


def _printable(ws: Any, title_rows: str) -> None:
    """Frozen header, landscape A4 fitted to the page width, header repeated on print."""
    first = int(title_rows.split(":")[0]) + 1
    ws.freeze_panes = f"A{first}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


# --- PDF -------------------------------------------------------------------------------

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(ReportError):
    def __init__(self) -> None:
        super().__init__(
            "font",
            "未找到中文字体，无法生成 PDF：请安装 fonts-wqy-microhei 或 fonts-noto-cjk"
            "（apt-get install fonts-wqy-microhei），或用环境变量 MINZHENG_CJK_FONT 指定字体文件",
            "no Chinese (CJK) font found for the PDF: install the Debian package "
            "fonts-wqy-microhei or fonts-noto-cjk, or name a font file in MINZHENG_CJK_FONT",
        )


def cjk_font() -> Path:
    """A font file with Chinese glyphs: the setting/env MINZHENG_CJK_FONT, known Debian
    paths, then fontconfig's choice for Chinese. Raises a bilingual error if none."""
    from django.conf import settings

    named = getattr(settings, "MINZHENG_CJK_FONT", "") or os.environ.get("MINZHENG_CJK_FONT")
    if named:
        if not Path(named).is_file():
            raise ReportError(
                "font",
                f"MINZHENG_CJK_FONT 指定的字体文件不存在：{named}",
                f"the font file named by MINZHENG_CJK_FONT does not exist: {named}",
            )
        return Path(named)
    for path in FONT_PATHS:
        if Path(path).is_file():
            return Path(path)
    found = _fontconfig_cjk()
    if found is None:
        raise FontMissing()
    return found


def _fontconfig_cjk() -> Path | None:
    """fontconfig's fonts that cover Chinese (fc-list, not fc-match: fc-match falls back
    to a Latin font when no Chinese one exists)."""
    if not shutil.which("fc-list"):
        return None
    out = subprocess.run(
        ["fc-list", ":lang=zh", "-f", "%{file}\n"], capture_output=True, text=True, check=False
    ).stdout
    files = sorted(f for f in out.splitlines() if f.lower().endswith((".ttf", ".ttc", ".otf")))
    return Path(files[0]) if files else None


def render_pdf(table: ReportTable) -> bytes:
    """The report as PDF (landscape A4): the form with the header repeated on every page,
    then the breakdown by division; the CJK font is embedded (subset)."""
    pdf = _Pdf(table)
    pdf.add_font("cjk", "", str(cjk_font()))
    pdf.set_font("cjk", size=9)
    pdf.alias_nb_pages()
    pdf.add_page()
    _pdf_title(pdf, table)
    body: list[Sequence[str]] = []
    for section in table.sections:
        body.append((f"{section.zh} {section.en}",))
        body += [_pdf_cells(row) for row in section.rows]
    _pdf_table(pdf, [f"{z}\n{e}" for z, e in zip(HEAD_ZH, HEAD_EN, strict=True)], body,
               (78, 20, 15, 37, 37, 30, 20), numeric_from=3)  # fmt: skip
    if table.children is not None:
        pdf.add_page()
        _pdf_children(pdf, table, table.children)
    pdf.ln(3)
    for zh, en in footnotes(table):
        pdf.multi_cell(0, 5, f"{zh}\n{en}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class _Pdf(FPDF):
    def __init__(self, table: ReportTable) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = table
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(f"{title_zh(table.period)} {table.division_name} {table.period}")
        self.set_creator("Minzheng")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"第 {self.page_no()} 页 共 {{nb}} 页 · page {self.page_no()} of {{nb}}",
                  align="C")  # fmt: skip


def _pdf_title(pdf: Any, table: ReportTable) -> None:
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 9, f"{title_zh(table.period)}  {title_en(table.period)}", align="C",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("cjk", size=9)
    lines = [
        f"填报单位 Reporting unit：{division_label(table)}    统计期 Period：{period_zh(table.period)}"
        f" / {period_en(table.period)}    表号 Form：{FORM_CODE}",
        f"计量单位：见各指标 Unit: as given    数据状态 Status：{status_zh(table)} / "
        f"{status_en(table)}    制表：民政综合平台 · v{table.snapshot_version}",
    ]
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _pdf_cells(row: ReportRow) -> list[str]:
    zh = cells(row)
    return [f"{row.zh}\n{row.en}", *zh[1:]]


def _pdf_table(pdf: Any, head: Sequence[str], body: list[Sequence[str]], widths: Sequence[float],
               *, numeric_from: int) -> None:  # fmt: skip
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        headings_style=FontFace(fill_color=(220, 223, 230)),
        repeat_headings=1,
        wrapmode=WrapMode.CHAR,
        line_height=4.5,
        text_align="LEFT",
    ) as t:
        row = t.row()
        for text in head:
            row.cell(text, align="CENTER")
        for values in body:
            row = t.row()
            if len(values) == 1:  # a section header across the table
                row.cell(values[0], colspan=len(widths),
                         style=FontFace(fill_color=(236, 245, 255)))  # fmt: skip
                continue
            for j, text in enumerate(values):
                row.cell(text, align="RIGHT" if j >= numeric_from else "LEFT")


def _pdf_children(pdf: Any, table: ReportTable, kids: ChildTable) -> None:
    from minzheng.stats.catalogue import UNITS, catalogue

    cat = catalogue().indicators
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, f"分地区主要指标 By division — {division_label(table)}",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("cjk", size=8)
    head = ["区划 Division"] + [f"{cat[c].zh}（{UNITS[cat[c].unit][0]}）" for c in kids.codes]
    width = (277 - 40) / max(len(kids.codes), 1)
    body: list[Sequence[str]] = [
        [f"{name} {code}", *child_cells(kids, i)] for i, (code, name) in enumerate(kids.divisions)
    ]
    _pdf_table(pdf, head, body, [40] + [width] * len(kids.codes), numeric_from=1)


# --- Markdown: the narrative in Chinese, then in English, then the table --------------------


def narrative_figures(rows: Sequence[ReportRow]) -> list[Any]:
    """The rows the narrative can state, as :class:`narrative.Figure` in base units.

    Left to the table: missing or withheld figures, units prose has no words for,
    and the numerators that exist only to compute a ratio (标准×人数).
    """
    from minzheng.stats.catalogue import catalogue
    from minzheng.stats.narrative import Figure

    helpers = {ind.ratio[0] for ind in catalogue().indicators.values() if ind.ratio}
    out = []
    for row in rows:
        conv = _narrative_unit(row)
        if row.value is None or conv is None or row.code in helpers:
            continue
        unit, factor = conv
        percent = unit == "%"
        flow = row.kind == "flow"
        previous = row.year_ago if flow else row.previous
        hidden = "year_ago" if flow else "previous"
        out.append(
            Figure(
                code=row.code,
                name_zh=row.zh,
                name_en=row.en,
                unit=unit,
                value=row.value * factor,
                kind="ratio" if percent else "flow" if flow else "stock",
                previous=None if previous is None or hidden in row.hidden else previous * factor,
            )
        )
    return out


def _narrative_unit(row: ReportRow) -> tuple[str, Decimal] | None:
    """(narrative unit, factor from the report unit) or None when prose cannot state it."""
    from minzheng.stats.catalogue import UNITS
    from minzheng.stats.narrative import UNITS as PROSE

    if row.unit in PROSE:
        return row.unit, Decimal(1) if row.kind == "ratio" else Decimal(row.scale)
    base = UNITS[row.unit][0]
    if base in PROSE:
        return base, Decimal(row.scale)
    if row.unit == "分":  # money computed from the registry is kept in fen
        return "元", Decimal("0.01")
    return None  # a unit with no words in prose


def render_md(table: ReportTable) -> str:
    """The narrative report: the Chinese section, the English one, then the table."""
    from minzheng.stats.narrative import narrate

    prose = [
        (section, narrate(figs, table.period))
        for section in table.sections
        if (figs := narrative_figures(section.rows))
    ]
    zh = [
        f"# {division_label(table)}{period_zh(table.period)}{title_zh(table.period)}",
        f"表号 {FORM_CODE} · 数据状态：{status_zh(table)}",
    ]
    zh += [f"## {section.zh}\n\n{n.zh}" for section, n in prose]
    en = [
        f"# {title_en(table.period)}: {table.division_name} ({table.division_code or 'nation'}),"
        f" {period_en(table.period)}",
        f"Form {FORM_CODE} · status: {status_en(table)}",
    ]
    en += [f"## {section.en[:1].upper()}{section.en[1:]}\n\n{n.en}" for section, n in prose]
    parts = ["\n\n".join(zh), "\n\n".join(en), _md_table(table)]
    if table.children is not None:
        parts.append(_md_children(table.children))
    parts.append("\n\n".join(f"{z}  \n{e}" for z, e in footnotes(table)))
    return "\n\n".join(parts) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(table: ReportTable) -> str:
    lines = ["## 统计表 / Table", "", "| " + " | ".join(
        f"{z} {e}" for z, e in zip(HEAD_ZH, HEAD_EN, strict=True)) + " |",
        "|" + "---|" * 3 + "---:|" * 4]  # fmt: skip
    for section in table.sections:
        lines.append(f"| **{section.zh} {section.en}** |  |  |  |  |  |  |")
        for row in section.rows:
            texts = cells(row)
            texts[0] = f"{row.zh} {row.en}"
            lines.append("| " + " | ".join(_md_escape(t) for t in texts) + " |")
    return "\n".join(lines)


def _md_children(kids: ChildTable) -> str:
    from minzheng.stats.catalogue import catalogue

    cat = catalogue().indicators
    head = ["区划 Division", *(f"{cat[c].zh} {c}" for c in kids.codes)]
    lines = ["## 分地区 / By division", "", "| " + " | ".join(head) + " |",
             "|---|" + "---:|" * len(kids.codes)]  # fmt: skip
    for i, (code, name) in enumerate(kids.divisions):
        lines.append(f"| {_md_escape(name)} {code} | " + " | ".join(child_cells(kids, i)) + " |")
    return "\n".join(lines)


# --- the service -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    content: bytes
    filename: str
    content_type: str
    table: ReportTable


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
}


def render(table: ReportTable, fmt: str) -> bytes:
    """``table`` in ``fmt`` (xlsx, pdf or md)."""
    if fmt == "xlsx":
        return render_xlsx(table)
    if fmt == "pdf":
        return render_pdf(table)
    if fmt == "md":
        return render_md(table).encode("utf-8")
    raise ReportError(
        "format",
        f"格式 {fmt!r} 不支持，应为 xlsx、pdf 或 md",
        f"format {fmt!r}: use xlsx, pdf or md",
    )


def report_export(
    *,
    actor: Any,
    period: str,
    division_code: str = "",
    fmt: str,
    public: bool = False,
    audit_as: Any = None,
) -> Rendered:
    """Build, protect (``public``), render and audit one report.

    ``actor`` limits the divisions (None: the system, everything); the audit row names
    ``audit_as`` or ``actor``. Raises :class:`ReportError` with a bilingual reason.
    """
    from minzheng.accounts.services import audit_export
    from minzheng.stats.suppress import protect_report

    if fmt not in FORMATS:
        raise ReportError(
            "format",
            f"格式 {fmt!r} 不支持，应为 xlsx、pdf 或 md",
            f"format {fmt!r}: use xlsx, pdf or md",
        )
    table = report_table(period, division_code, actor)
    if public:
        table = protect_report(table)
    content = render(table, fmt)
    audit_export(
        actor=audit_as or actor,
        object_type="stats_report",
        criteria={
            "period": table.period,
            "division": table.division_code,
            "format": fmt,
            "public": public,
            "snapshot_version": table.snapshot_version,
        },
        rows=len(table.rows),
        full_ids=False,
    )
    name = f"{table.division_name}{title_zh(table.period)}_{table.period}"
    return Rendered(content, f"{name}{'_公开' if public else ''}.{fmt}", CONTENT_TYPES[fmt], table)

"""The downloadable template of a feed kind: the data sheet the registry template uses + 填表说明."""

from __future__ import annotations

from pathlib import Path

from minzheng.monitoring.feeds.kinds import FeedKind, kind
from minzheng.registry.importing.template import data_sheet


def _instructions(spec: FeedKind) -> list[list[str]]:
    key = spec.column(spec.key).zh
    return [
        [f"填表说明：{spec.title} / {spec.title_en}"],
        [f"提供部门：{spec.department}"],
        [f"1. 每行一条记录，“{key}”唯一标识一条记录；红色列为必填。"],
        [
            "2. 公民身份号码列已设置为文本格式；若从其他表格粘贴，请“选择性粘贴 → 数值”，"
            "否则 Excel 会把 18 位号码变成 4.40106E+17 并丢失位数。"
            "号码缺失或有误的记录不会被拒绝，将按姓名、性别、出生日期和区划比对。"
        ],
        [
            "3. 行政区划代码填 6 位（县）、9 位（乡镇街道）或 12 位（村居）；已撤销的代码会自动对应到现行区划。"
        ],
        [f"4. 重复导入同一文件不会产生重复数据；修改某行后再次导入只更新该行（按“{key}”）。"],
        ["5. 金额单位为元，最多两位小数；月份填 2024-07 或 2024年7月。"],
        [],
        ["列名", "English", "必填", "说明"],
    ]


def _help_sheet(ws: object, spec: FeedKind) -> None:
    from openpyxl.styles import Font

    rows = _instructions(spec)
    rows += [[c.zh, c.en, "是" if c.required else "", c.help] for c in spec.import_columns]
    for r in rows:
        ws.append(r)  # type: ignore[attr-defined]
    ws["A1"].font = Font(bold=True, size=14)  # type: ignore[index]
    for letter, width in zip("ABCD", (22, 22, 8, 80), strict=True):
        ws.column_dimensions[letter].width = width  # type: ignore[attr-defined]


def write_feed_template(kind_name: str, out: Path) -> Path:
    """Write the import template of feed ``kind_name`` to ``out`` (.xlsx)."""
    from openpyxl import Workbook

    spec = kind(kind_name)
    wb = Workbook()
    data_sheet(wb.active, spec.import_columns)
    _help_sheet(wb.create_sheet("填表说明"), spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out

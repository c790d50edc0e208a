"""Writing test spreadsheets in the registry import format."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from minzheng.synth.generate import IMPORT_HEADERS

HEADERS = list(IMPORT_HEADERS)


def row(
    ref: str,
    name: str,
    id_number: str,
    rel: str = "02",
    hukou: str = "440106001",
    income: str = "800",
    **extra: str,
) -> dict[str, str]:
    r = {
        "户编号": ref,
        "姓名": name,
        "公民身份号码": id_number,
        "与户主关系": rel,
        "户籍地行政区划代码": hukou,
        "居住地行政区划代码": extra.pop("residence", ""),
        "居住地址": extra.pop("address", "天河路1号"),
        "城乡类别": extra.pop("urban", "城镇"),
        "月收入": income,
        "残疾类别": extra.pop("category", ""),
        "残疾等级": extra.pop("grade", ""),
        "劳动能力": extra.pop("labour", "有劳动能力"),
        "联系电话": extra.pop("phone", ""),
    }
    r.update(extra)
    return r


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    encoding: str = "utf-8",
    headers: Sequence[str] = HEADERS,
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=list(headers), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[dict[str, object]],
    *,
    headers: Sequence[str] = HEADERS,
    leading_sheet: bool = False,
) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if leading_sheet:
        ws.title = "说明"
        ws.append(["这是说明页，不是数据"])
        ws = wb.create_sheet("数据")
    ws.append(list(headers))
    for r in rows:
        ws.append([r.get(h) for h in headers])
    wb.save(path)
    return path

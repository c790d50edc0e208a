"""Writing synthetic feed files (medical settlements by default) in every accepted format."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minzheng.monitoring.feeds.kinds import kind

MEDICAL = [c.zh for c in kind("medical").columns]


def medical(key: str, id_number: str = "", name: str = "张伟", **extra: Any) -> dict[str, Any]:
    """One medical-insurance settlement row (Chinese headers)."""
    r: dict[str, Any] = {
        "公民身份号码": id_number,
        "姓名": name,
        "性别": extra.pop("sex", ""),
        "出生日期": extra.pop("born", ""),
        "参保地区划代码": extra.pop("division", "440106001"),
        "结算日期": extra.pop("on", "2024-07-01"),
        "总费用": extra.pop("total", "1000.50"),
        "个人自付": extra.pop("own", "300"),
        "就诊类型": extra.pop("visit", "住院"),
        "病种": extra.pop("diagnosis", ""),
        "结算单号": key,
    }
    r.update(extra)
    return r


def write_csv(
    path: Path, rows: Sequence[dict[str, Any]], *, encoding: str = "utf-8", headers=MEDICAL
) -> Path:  # type: ignore[no-untyped-def]
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=list(headers), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[dict[str, Any]], *, headers=MEDICAL) -> Path:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append([r.get(h) for h in headers])
    wb.save(path)
    return path


def write_parquet(path: Path, rows: Sequence[dict[str, Any]], *, headers=MEDICAL) -> Path:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({h: [r.get(h) for r in rows] for h in headers})
    pq.write_table(table, path)
    return path

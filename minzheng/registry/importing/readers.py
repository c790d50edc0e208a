"""Reading spreadsheets: .xlsx, .xls and .csv (UTF-8 with or without BOM, GB18030/GBK).

Cells keep their Python type (str, int, float, date, datetime, None) so validation
can tell an ID number Excel turned into a number from one typed as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Cell = str | int | float | dt.date | dt.datetime | None


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong type, corrupt, no matching header)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]  # (spreadsheet row number, header = 1; cells)


def decode_text(raw: bytes) -> str:
    """Decode CSV bytes: UTF-8 (BOM optional), else GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
            "cannot decode the file; save it as UTF-8 or GBK CSV",
        ) from exc


def _csv_sheets(path: Path) -> Iterator[Sheet]:
    text = decode_text(path.read_bytes())
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, [])
    rows = ((i, list[Cell](r)) for i, r in enumerate(reader, start=2) if any(c.strip() for c in r))
    yield Sheet(path.name, headers, rows)


def _xlsx_sheets(path: Path) -> Iterator[Sheet]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise UnreadableFile(
            "无法读取 Excel 文件，文件可能已损坏", "cannot read the Excel file"
        ) from exc
    for ws in wb.worksheets:
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        headers = [str(c).strip() if c is not None else "" for c in (first or ())]
        rows = (
            (i, list(r))
            for i, r in enumerate(it, start=2)
            if any(c is not None and str(c).strip() for c in r)
        )
        yield Sheet(ws.title, headers, rows)


def _xls_sheets(path: Path) -> Iterator[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except Exception as exc:
        raise UnreadableFile(
            "无法读取 .xls 文件，文件可能已损坏", "cannot read the .xls file"
        ) from exc
    for sh in book.sheets():
        if sh.nrows == 0:
            continue
        headers = [str(v).strip() for v in sh.row_values(0)]

        def cells(r: int, sh: Any = sh) -> list[Cell]:
            out: list[Cell] = []
            for c in sh.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    out.append(xlrd.xldate.xldate_as_datetime(c.value, book.datemode))
                elif c.ctype == xlrd.XL_CELL_EMPTY:
                    out.append(None)
                else:
                    out.append(c.value)
            return out

        rows = ((r + 1, cells(r)) for r in range(1, sh.nrows))
        yield Sheet(sh.name, headers, (x for x in rows if any(v not in (None, "") for v in x[1])))


READERS: dict[str, Callable[[Path], Iterator[Sheet]]] = {
    ".csv": _csv_sheets,
    ".txt": _csv_sheets,
    ".xlsx": _xlsx_sheets,
    ".xlsm": _xlsx_sheets,
    ".xls": _xls_sheets,
}


def sheets(path: Path) -> Iterator[Sheet]:
    """Every sheet of ``path`` with its header row (row 1)."""
    if not path.exists():
        raise UnreadableFile(f"文件不存在：{path}", f"file not found: {path}")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(
            "仅允许导入 xls、xlsx、csv 格式文件", "only .xls, .xlsx and .csv files can be imported"
        )
    return reader(path)

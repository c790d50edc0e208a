"""Reading spreadsheets: .xlsx, .xls and .csv (UTF-8 with or without BOM, GB18030/GBK).

Cells keep their Python type (str, int, float, date, datetime, None) so validation
can tell an ID number Excel turned into a number from one typed as text.

What the readers refuse, as a whole (:class:`UnreadableFile`, in Chinese and English):
a file they cannot decode or parse, a CSV holding NUL characters (UTF-16 text, or not
text at all), an .xlsx whose parts would inflate past
:data:`MAX_INFLATED_BYTES` or by an absurd ratio (a zip bomb: checked from the zip
directory, before anything is inflated). What they pass on, cell by cell: a cell that
cannot be read as written (longer than :data:`MAX_CELL_CHARS`, an .xlsx cell pointing
past the shared strings, a "number" that is not one) arrives as a :class:`BadCell`,
which the cell parsers reject with its reason, so the importer reports that row and
column and goes on with the others.

Hidden sheets are skipped: what the user cannot see in Excel (an old copy, a lookup
list) is never imported in place of the visible data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: a longer one was never typed
MAX_INFLATED_BYTES = 200 << 20  # every part of an .xlsx together, inflated
MAX_RATIO = 100  # a member inflating more than 100:1 …
RATIO_FLOOR_BYTES = 10 << 20  # … to more than 10 MB is a zip bomb, not a spreadsheet
MAX_MEMBERS = 10_000


class BadCell(str):
    """A cell that cannot be used as written; its text is kept, ``reason`` says why.

    A ``str`` so code that only copies cells around keeps working; the cell parsers
    (``importing.values``) raise ``BadValue`` with the reason instead of reading it.
    """

    reason: str
    reason_en: str

    def __new__(cls, raw: str, reason: str, reason_en: str) -> BadCell:
        cell = super().__new__(cls, raw)
        cell.reason, cell.reason_en = reason, reason_en
        return cell


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


def bad_cells(values: dict[str, Cell]) -> list[tuple[str, BadCell]]:
    """(key, cell) for every cell of a row that could not be read as written."""
    return [(k, v) for k, v in values.items() if isinstance(v, BadCell)]


def _too_long(value: str) -> BadCell:
    return BadCell(
        value,
        f"单元格内容超过最大长度 {MAX_CELL_CHARS} 个字符",
        f"the cell is longer than {MAX_CELL_CHARS} characters",
    )


def _cell_text(value: str) -> str:
    return _too_long(value) if len(value) > MAX_CELL_CHARS else value


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


def _csv_text(path: Path) -> str:
    """The file as text with ``\\n`` line ends (Excel for Mac ends lines with ``\\r`` alone)."""
    text = decode_text(path.read_bytes())
    if "\x00" in text:  # UTF-16/32 text decodes "fine" as UTF-8, a NUL beside each letter
        raise UnreadableFile(
            "文件含有空字符（NUL）：不是文本文件，或为 UTF-16 编码；请另存为 UTF-8 编码的 CSV",
            "the file holds NUL characters: not a text file, or UTF-16 text; save it as UTF-8 CSV",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_reader(text: str) -> Iterator[list[str]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def _csv_sheets(path: Path) -> Iterator[Sheet]:
    text = _csv_text(path)
    # No field can be longer than the file; an over-long one becomes a BadCell below
    # instead of stopping the reader.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        for _ in _csv_reader(text):  # a first pass, so a broken file is refused up front
            pass
    except csv.Error as exc:
        raise UnreadableFile(
            f"CSV 文件格式错误，无法读取：{exc}", f"the CSV file is malformed: {exc}"
        ) from exc
    reader = _csv_reader(text)
    headers = next(reader, [])
    rows = (
        (i, list[Cell](map(_cell_text, r)))
        for i, r in enumerate(reader, start=2)
        if any(c.strip() for c in r)
    )
    yield Sheet(path.name, headers, rows)


# --- .xlsx ----------------------------------------------------------------------------------
_BAD_XLSX = ("无法读取 Excel 文件，文件可能已损坏", "cannot read the Excel file")


def _zip_bomb(reason: str, reason_en: str) -> UnreadableFile:
    return UnreadableFile(
        f"Excel 文件异常，拒绝读取：{reason}（疑似压缩炸弹）",
        f"refusing the Excel file: {reason_en} (looks like a zip bomb)",
    )


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose directory promises too much: sizes only, nothing is inflated.

    ``zipfile`` stops a member at its declared size (and fails its CRC), so a member
    cannot inflate past what the directory says.
    """
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _zip_bomb(f"包含 {len(members)} 个文件", f"{len(members)} parts")
    total = sum(m.file_size for m in members)
    if total > MAX_INFLATED_BYTES:
        mb, limit = total >> 20, MAX_INFLATED_BYTES >> 20
        raise _zip_bomb(
            f"解压后 {mb} MB，超过上限 {limit} MB", f"{mb} MB inflated, over the {limit} MB limit"
        )
    for m in members:
        if m.file_size > RATIO_FLOOR_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            ratio = m.file_size // max(m.compress_size, 1)
            raise _zip_bomb(f"{m.filename} 压缩比 {ratio}:1", f"{m.filename} inflates {ratio}:1")


def _refuse_dtd(*args: object) -> None:
    raise ValueError("DOCTYPE in a spreadsheet part")


def _check_xml(archive: zipfile.ZipFile) -> None:
    """Every XML part well-formed, without a DTD, and intact (CRC) — checked in C before
    openpyxl reads it, so a sheet cannot fail half-way through its rows."""
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = _refuse_dtd
        with archive.open(info) as fh:
            parser.ParseFile(fh)


def _open_xlsx(path: Path) -> Any:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive)
            _check_xml(archive)
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except UnreadableFile:
        raise
    except Exception as exc:  # zipfile, expat and openpyxl raise many types for a bad file
        raise UnreadableFile(*_BAD_XLSX) from exc


@dataclass(frozen=True)
class _DateStyles:
    epoch: dt.datetime
    dates: set[int]  # style ids whose number format is a date
    durations: set[int]  # … or a duration


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}is"


class _CellReader:
    """One ``<c>`` at a time, as openpyxl reads it in data-only mode, but a cell that
    fails (a shared-string index past the table, a "number" that is not one, an Excel
    error value) becomes a :class:`BadCell` instead of ending the sheet."""

    def __init__(self, shared: Any, dates: _DateStyles) -> None:
        self.shared = shared
        self.dates = dates

    def row(self, element: Any) -> list[Cell]:
        out: list[Cell] = []
        col = 0
        for c in element:
            if c.tag != _CELL:
                continue
            col = _column(c.get("r"), col + 1)
            value = self.value(c)
            if value is None:
                continue
            out.extend([None] * (col - len(out)))
            out[col - 1] = value
        return out

    def value(self, c: Any) -> Cell:
        kind = c.get("t", "n")
        try:
            if kind == "inlineStr":
                from openpyxl.cell.text import Text

                node = c.find(_INLINE)
                return None if node is None else _cell_text(Text.from_tree(node).content)
            raw = c.findtext(_VALUE)
            return self._typed(kind, raw, c.get("s")) if raw else None
        except (ValueError, TypeError, IndexError, KeyError, OverflowError):
            raw = (c.findtext(_VALUE) or "")[:40]
            return BadCell(
                raw or "?",
                f"单元格内容无法读取（类型 {kind[:8]}，内容“{raw}”），请重新输入该单元格",
                f"the cell cannot be read (type {kind[:8]!r}, content {raw!r}); retype it",
            )

    def _typed(self, kind: str, raw: str, style: str | None) -> Cell:
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        if kind == "n":
            number = float(raw) if any(x in raw for x in ".eE") else int(raw)
            if not math.isfinite(number):
                raise ValueError(raw)
            style_id = int(style) if style else 0
            if style_id in self.dates.dates:
                durations = style_id in self.dates.durations
                return from_excel(number, self.dates.epoch, timedelta=durations)
            return number
        if kind == "s":
            if not (raw.isascii() and raw.isdigit()):
                raise ValueError(raw)
            return _cell_text(str(self.shared[int(raw)]))
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        if kind == "e":
            return BadCell(
                raw, f"单元格为 Excel 错误值 {raw[:20]}", f"the cell holds Excel's error {raw[:20]}"
            )
        return _cell_text(raw)  # "str" (a formula's text result) and unknown types


def _column(ref: str | None, default: int) -> int:
    from openpyxl.utils.cell import coordinate_to_tuple

    if not ref:
        return default
    try:
        return coordinate_to_tuple(ref)[1]
    except ValueError:
        return default


def _sheet_rows(path: Path, member: str, cells: _CellReader) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) in file order; row numbers only go up (a repeated or missing
    ``r`` counts on from the row before)."""
    from xml.etree.ElementTree import iterparse

    with zipfile.ZipFile(path) as archive, archive.open(member) as fh:
        number = 0
        for _, element in iterparse(fh):
            if element.tag != _ROW:
                continue
            r = element.get("r") or ""
            number = int(r) if r.isascii() and r.isdigit() and int(r) > number else number + 1
            yield number, cells.row(element)
            element.clear()


def _xlsx_sheets(path: Path) -> Iterator[Sheet]:
    """Visible sheets only (see the module docstring); cells that cannot be read as
    written arrive as :class:`BadCell`."""
    wb = _open_xlsx(path)
    try:
        found = [
            (ws.title, ws._worksheet_path, ws._shared_strings)
            for ws in wb.worksheets
            if ws.sheet_state == "visible"
        ]
        dates = _DateStyles(wb.epoch, set(wb._date_formats), set(wb._timedelta_formats))
    finally:
        wb.close()
    for title, member, shared in found:
        try:
            rows = _sheet_rows(path, member, _CellReader(list(shared), dates))
            first = next(rows, None)
        except Exception as exc:
            raise UnreadableFile(*_BAD_XLSX) from exc
        if first is not None and first[0] != 1:  # row 1 is empty: no header
            rows, first = _chain(first, rows), (1, [])
        headers = [str(c).strip() if c is not None else "" for c in (first or (1, []))[1]]
        yield Sheet(title, headers, _guarded(_non_blank(rows)))


def _chain(first: tuple[int, list[Cell]], rest: Iterator[tuple[int, list[Cell]]]) -> Any:
    yield first
    yield from rest


def _non_blank(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    return ((i, r) for i, r in rows if any(c is not None and str(c).strip() for c in r))


def _guarded(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    """The parts were checked whole before; anything still failing refuses the file."""
    try:
        yield from rows
    except Exception as exc:
        raise UnreadableFile(*_BAD_XLSX) from exc


# --- .xls -----------------------------------------------------------------------------------
def _xls_sheets(path: Path) -> Iterator[Sheet]:
    """Visible sheets only, like .xlsx; xlrd reads the whole book up front."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except Exception as exc:
        raise UnreadableFile(
            "无法读取 .xls 文件，文件可能已损坏", "cannot read the .xls file"
        ) from exc
    for sh in book.sheets():
        if sh.nrows == 0 or sh.visibility != 0:
            continue
        headers = [str(v).strip() for v in sh.row_values(0)]

        def cells(r: int, sh: Any = sh) -> list[Cell]:
            out: list[Cell] = []
            for c in sh.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    out.append(_xls_date(c.value, book.datemode))
                elif c.ctype == xlrd.XL_CELL_ERROR:
                    err = xlrd.error_text_from_code.get(c.value, "#?")
                    out.append(
                        BadCell(
                            err,
                            f"单元格为 Excel 错误值 {err}",
                            f"the cell holds Excel's error {err}",
                        )
                    )
                elif c.ctype == xlrd.XL_CELL_EMPTY:
                    out.append(None)
                elif isinstance(c.value, str):
                    out.append(_cell_text(c.value))
                else:
                    out.append(c.value)
            return out

        rows = ((r + 1, cells(r)) for r in range(1, sh.nrows))
        yield Sheet(sh.name, headers, (x for x in rows if any(v not in (None, "") for v in x[1])))


def _xls_date(value: float, datemode: int) -> Cell:
    import xlrd

    try:
        return xlrd.xldate.xldate_as_datetime(value, datemode)
    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
        return BadCell(str(value), "日期超出范围，无法读取", "the date is out of range")


READERS: dict[str, Callable[[Path], Iterator[Sheet]]] = {
    ".csv": _csv_sheets,
    ".txt": _csv_sheets,
    ".xlsx": _xlsx_sheets,
    ".xlsm": _xlsx_sheets,
    ".xls": _xls_sheets,
}


def sheets(path: Path) -> Iterator[Sheet]:
    """Every visible sheet of ``path`` with its header row (row 1).

    Hidden and very hidden sheets are skipped, not merely put last: an importer takes
    the first sheet whose header fits, and data the user cannot see must not win.
    """
    if not path.exists():
        raise UnreadableFile(f"文件不存在：{path}", f"file not found: {path}")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(
            "仅允许导入 xls、xlsx、csv 格式文件", "only .xls, .xlsx and .csv files can be imported"
        )
    return reader(path)

"""Spreadsheets built by hand: ordinary .xlsx through openpyxl, odd ones as raw zip parts.

The raw builder writes the few parts a reader needs (content types, workbook, its
relations, sheets, shared strings) so a test file can say exactly what Excel would
never write: a shared-string index past the table, a number cell holding text, a sheet
whose XML inflates to gigabytes from a few megabytes of zip (a zip bomb).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = REL_NS + "/worksheet"
SST_TYPE = REL_NS + "/sharedStrings"


@dataclass
class WorkbookSpec:
    """What :func:`openpyxl_bytes` writes: sheets of rows and the tricks to play on them."""

    rows: list[list[Any]]
    title: str = "Sheet1"
    hidden_before: list[list[Any]] | None = None  # a hidden sheet placed first
    merged: list[str] = field(default_factory=list)  # ranges like "A3:A5"
    text_columns: Sequence[int] = ()  # formatted "@" (as a careful user would)


def openpyxl_bytes(spec: WorkbookSpec) -> bytes:
    """An ordinary workbook written by openpyxl (formulas stay formulas, no cached value)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if spec.hidden_before is not None:
        ws.title = "说明"
        for r in spec.hidden_before:
            ws.append(r)
        ws.sheet_state = "hidden"
        ws = wb.create_sheet(spec.title)
    else:
        ws.title = spec.title
    for r in spec.rows:
        ws.append(r)
    for col in spec.text_columns:
        for (cell,) in ws.iter_rows(min_col=col + 1, max_col=col + 1):
            cell.number_format = "@"
    for rng in spec.merged:
        ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def col_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def cell_xml(ref: str, value: Any) -> str:
    """One ``<c>``: numbers as numbers, text inline; a ``RawCell`` as written."""
    if isinstance(value, RawCell):
        return value.xml(ref)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" t="d"><v>{value.isoformat()}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


@dataclass(frozen=True)
class RawCell:
    """A cell written exactly: ``t`` attribute and ``<v>`` text (or a whole inner XML)."""

    t: str | None
    v: str
    inner: str | None = None

    def xml(self, ref: str) -> str:
        t = f' t="{self.t}"' if self.t else ""
        inner = self.inner if self.inner is not None else f"<v>{escape(self.v)}</v>"
        return f'<c r="{ref}"{t}>{inner}</c>'


def sheet_xml(rows: Iterable[Sequence[Any]]) -> bytes:
    """A worksheet part holding ``rows`` (row 1 first)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>']
    for n, r in enumerate(rows, start=1):
        cells = "".join(cell_xml(f"{col_letter(i)}{n}", v) for i, v in enumerate(r))
        parts.append(f'<row r="{n}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def sst_xml(strings: Sequence[str], *, count: int | None = None) -> bytes:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    n = len(strings) if count is None else count
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<sst xmlns="{MAIN_NS}" count="{n}" uniqueCount="{n}">{items}</sst>'
    ).encode()


@dataclass
class RawSheet:
    name: str
    xml: bytes | Bomb
    state: str = "visible"


@dataclass(frozen=True)
class Bomb:
    """A part whose body repeats ``unit`` until it inflates to ``inflated`` bytes."""

    head: bytes
    unit: bytes
    tail: bytes
    inflated: int


def raw_xlsx(sheets: Sequence[RawSheet], shared: bytes | Bomb | None = None) -> bytes:
    """A minimal .xlsx with exactly these parts (no styles: readers must not need them)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _content_types(len(sheets), shared is not None))
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        entries = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i}" state="{s.state}" r:id="rId{i}"/>'
            for i, s in enumerate(sheets, start=1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{SHEET_TYPE}" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        if shared is not None:
            rels += f'<Relationship Id="rIdS" Type="{SST_TYPE}" Target="sharedStrings.xml"/>'
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f"{rels}</Relationships>",
        )
        for i, s in enumerate(sheets, start=1):
            _write_part(z, f"xl/worksheets/sheet{i}.xml", s.xml)
        if shared is not None:
            _write_part(z, "xl/sharedStrings.xml", shared)
    return buf.getvalue()


def _content_types(n: int, shared: bool) -> str:
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    over = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    if shared:
        over += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f"{over}</Types>"
    )


_BOMB_CACHE: dict[tuple[bytes, bytes, bytes, int], tuple[bytes, int]] = {}


def _write_part(z: zipfile.ZipFile, name: str, body: bytes | Bomb) -> None:
    if isinstance(body, bytes):
        z.writestr(name, body)
        return
    # Deflating gigabytes takes seconds; the stream is the same every time, so it is made
    # once per process and written as a pre-compressed member.
    key = (body.head, body.unit, body.tail, body.inflated)
    if key not in _BOMB_CACHE:
        _BOMB_CACHE[key] = _deflate_repeated(body)
    data, crc = _BOMB_CACHE[key]
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    _write_precompressed(z, info, data, crc, body.inflated)


def _deflate_repeated(bomb: Bomb) -> tuple[bytes, int]:
    """Raw deflate of head + unit × k + tail (≈ ``inflated`` bytes) and its CRC-32."""
    block = bomb.unit * max(1, (1 << 20) // len(bomb.unit))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [comp.compress(bomb.head)]
    crc = zlib.crc32(bomb.head)
    left = bomb.inflated - len(bomb.head) - len(bomb.tail)
    while left > 0:
        piece = block if left >= len(block) else block[: left - left % len(bomb.unit)]
        if not piece:
            break
        out.append(comp.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    out.append(comp.compress(bomb.tail))
    crc = zlib.crc32(bomb.tail, crc)
    out.append(comp.flush())
    return b"".join(out), crc


def _write_precompressed(
    z: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes, crc: int, size: int
) -> None:
    """Add a member whose deflated bytes are already made (zipfile has no API for it)."""
    info.CRC, info.compress_size, info.file_size = crc, len(data), size
    info.header_offset = z.fp.tell()  # type: ignore[union-attr]
    z._writecheck(info)  # type: ignore[attr-defined]
    z._didModify = True  # type: ignore[attr-defined]
    z.fp.write(info.FileHeader())  # type: ignore[union-attr]
    z.fp.write(data)  # type: ignore[union-attr]
    z.filelist.append(info)
    z.NameToInfo[info.filename] = info
    z.start_dir = z.fp.tell()  # type: ignore[attr-defined]


def sheet_bomb(headers: Sequence[str], inflated: int, *, rows: bool = True) -> Bomb:
    """A sheet whose header row is real and whose body repeats a row (or whitespace)."""
    head_cells = "".join(cell_xml(f"{col_letter(i)}1", h) for i, h in enumerate(headers))
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        f'<row r="1">{head_cells}</row>'
    ).encode()
    # A row with no r attribute: readers number it themselves, so one unit repeats.
    unit = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' if rows else b" " * 64
    return Bomb(head, unit, b"</sheetData></worksheet>", inflated)


def shared_strings_bomb(inflated: int) -> Bomb:
    """A shared-strings table of millions of tiny strings (readers load it whole)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
    return Bomb(head, b"<si><t>a</t></si>", b"</sst>", inflated)

"""Malformed inputs: mutations of a kind's valid file, deterministic by seed.

Every mutation family is a function ``(table, rng, size) → Case``. A case carries the
bytes, the file suffix, the number of data rows the file holds when that is known
exactly (``None`` when a mutation makes it unknowable, as a cut at a random byte does)
and what a correct importer must do with it: anything but crash (``any``), read every
row as the valid file (``accept``: the encodings the readers promise), or refuse the
whole file (``refuse``: zip bombs, which must never be inflated).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.inputs.tables import BUILDERS, Table
from bench.inputs.xlsx import (
    RawCell,
    RawSheet,
    WorkbookSpec,
    openpyxl_bytes,
    raw_xlsx,
    shared_strings_bomb,
    sheet_bomb,
    sheet_xml,
    sst_xml,
)

FORMULAS = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://127.0.0.1/x?"&A1,"点击")',
    "+1+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "＝1+1",  # full-width: not a formula, must survive as text
    " =1+1",
)
HUGE = 1 << 20  # one megabyte in one cell
NUMBERS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999999",
    "1e-999999",
    "-0",
    "１２３",
    "1,000.00",
    "¥5",
    "5元",
    "0x10",
    "1_000",
    "  ",
    "3.14159",
    "-5",
    "9" * 40,
    "sNaN",
    "½",
)
DATES = (
    "2024-02-30",
    "0000-01-01",
    "9999-12-31",
    "20240230",
    "45000",
    "2024年13月1日",
    "2024/1/1/1",
    "1899-12-31",
    "2024-1-1",
    "２０２４-０１-０１",
    "31/12/2024",
    "yesterday",
    "2024-06",
    "-2024-01-01",
)


@dataclass
class Case:
    family: str
    variant: str
    suffix: str
    data: bytes
    rows: int | None  # data rows in the file, when known exactly
    expect: str = "any"  # any / accept / refuse


Mutation = Callable[[Table, random.Random, int], Case]


# --- writers ----------------------------------------------------------------------------
def csv_text(headers: list[Any], rows: list[list[Any]], *, delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def xlsx_of(t: Table, **spec: Any) -> bytes:
    return openpyxl_bytes(WorkbookSpec(rows=[t.headers, *t.rows], **spec))


def _case(family: str, variant: str, suffix: str, data: bytes, rows: int | None, expect="any"):
    return Case(family, variant, suffix, data, rows, expect)


# --- encodings --------------------------------------------------------------------------
def enc_supported(t: Table, rng: random.Random, size: int) -> Case:
    codec = rng.choice(["utf-8", "utf-8-sig", "gbk", "gb18030"])
    return _case(
        "encoding", codec, ".csv", csv_text(t.headers, t.rows).encode(codec), len(t.rows), "accept"
    )


def enc_utf16(t: Table, rng: random.Random, size: int) -> Case:
    codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
    return _case("utf16", codec, ".csv", csv_text(t.headers, t.rows).encode(codec), None)


def enc_mojibake(t: Table, rng: random.Random, size: int) -> Case:
    """UTF-8 read as Latin-1 and saved as UTF-8 again (the classic double encoding)."""
    text = csv_text(t.headers, t.rows).encode("utf-8").decode("latin-1")
    return _case("mojibake", "utf8-latin1-utf8", ".csv", text.encode("utf-8"), None)


def enc_invalid_bytes(t: Table, rng: random.Random, size: int) -> Case:
    data = bytearray(csv_text(t.headers, t.rows).encode(rng.choice(["utf-8", "gbk"])))
    for _ in range(rng.randint(1, 6)):
        data.insert(rng.randrange(len(data)), rng.choice([0xFF, 0x80, 0xC0, 0xFE, 0x81, 0xA1]))
    return _case("invalid-bytes", "inserted", ".csv", bytes(data), None)


def enc_mixed(t: Table, rng: random.Random, size: int) -> Case:
    """Header and half the rows in UTF-8, the rest in GBK (two files pasted together)."""
    half = len(t.rows) // 2
    data = csv_text(t.headers, t.rows[:half]).encode("utf-8")
    data += csv_text([], t.rows[half:]).split("\r\n", 1)[1].encode("gbk")
    return _case("mixed-encoding", "utf8+gbk", ".csv", data, len(t.rows))


def enc_bom_games(t: Table, rng: random.Random, size: int) -> Case:
    text = csv_text(t.headers, t.rows)
    variant = rng.choice(["double-bom", "bom-mid", "utf16-bom-utf8", "zero-width-header"])
    if variant == "double-bom":
        data = b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode()
    elif variant == "bom-mid":
        lines = text.split("\r\n")
        lines[2] = "\ufeff" + lines[2]
        data = "\r\n".join(lines).encode()
    elif variant == "utf16-bom-utf8":
        data = b"\xff\xfe" + text.encode()
    else:
        data = ("\u200b" + text).encode()
    return _case("bom", variant, ".csv", data, len(t.rows))


# --- structure --------------------------------------------------------------------------
def truncated_csv(t: Table, rng: random.Random, size: int) -> Case:
    data = csv_text(t.headers, t.rows).encode(rng.choice(["utf-8", "gbk"]))
    cut = rng.randrange(len(data))
    return _case("truncated", f"csv@{cut}", ".csv", data[:cut], None)


def truncated_xlsx(t: Table, rng: random.Random, size: int) -> Case:
    data = xlsx_of(t)
    cut = rng.randrange(len(data))
    return _case("truncated", f"xlsx@{cut}", ".xlsx", data[:cut], None)


def empty(t: Table, rng: random.Random, size: int) -> Case:
    variant, data, suffix = rng.choice(
        [
            ("0-bytes-csv", b"", ".csv"),
            ("0-bytes-xlsx", b"", ".xlsx"),
            ("bom-only", b"\xef\xbb\xbf", ".csv"),
            ("whitespace", b" \r\n\t\r\n  ", ".csv"),
            ("newlines", b"\n" * 1000, ".csv"),
            ("empty-zip", _empty_zip(), ".xlsx"),
            ("no-sheets", raw_xlsx([]), ".xlsx"),
            ("empty-sheet", raw_xlsx([RawSheet("空", sheet_xml([]))]), ".xlsx"),
        ]
    )
    return _case("empty", variant, suffix, data, 0)


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    return buf.getvalue()


def headers_only(t: Table, rng: random.Random, size: int) -> Case:
    if rng.random() < 0.5:
        return _case("headers-only", "csv", ".csv", csv_text(t.headers, []).encode(), 0)
    return _case("headers-only", "xlsx", ".xlsx", openpyxl_bytes(WorkbookSpec([t.headers])), 0)


def missing_header(t: Table, rng: random.Random, size: int) -> Case:
    drop = rng.choice(t.required)
    headers = [h for i, h in enumerate(t.headers) if i != drop]
    rows = [[c for i, c in enumerate(r) if i != drop] for r in t.rows]
    return _case(
        "missing-header", t.headers[drop], ".csv", csv_text(headers, rows).encode(), len(rows)
    )


def no_header(t: Table, rng: random.Random, size: int) -> Case:
    """The data without its header row, or under a title line and blank lines."""
    if rng.random() < 0.5:
        text = csv_text(t.rows[0], t.rows[1:])
        return _case("no-header", "data-only", ".csv", text.encode(), None)
    text = "2031年导入表\r\n\r\n" + csv_text(t.headers, t.rows)
    return _case("no-header", "title-line", ".csv", text.encode(), None)


def duplicate_header(t: Table, rng: random.Random, size: int) -> Case:
    """A column twice, the second copy with other values (which one counts?)."""
    i = rng.choice(t.required)
    headers = [*t.headers, t.headers[i]]
    rows = [[*r, f"X{n}"] for n, r in enumerate(t.rows)]
    return _case(
        "duplicate-header", t.headers[i], ".csv", csv_text(headers, rows).encode(), len(rows)
    )


def many_columns(t: Table, rng: random.Random, size: int) -> Case:
    extra = rng.choice([1000, 5000, 16384])
    headers = [*t.headers, *(f"列{i}" for i in range(extra))]
    rows = [[*r, *([""] * extra)] for r in t.rows]
    if extra <= 5000 and rng.random() < 0.5:
        return _case(
            "many-columns",
            f"xlsx+{extra}",
            ".xlsx",
            openpyxl_bytes(WorkbookSpec([headers, *rows])),
            len(rows),
        )
    return _case(
        "many-columns", f"csv+{extra}", ".csv", csv_text(headers, rows).encode(), len(rows)
    )


def ragged_rows(t: Table, rng: random.Random, size: int) -> Case:
    """Rows shorter and longer than the header (a spreadsheet trims trailing blanks)."""
    rows = []
    for r in t.rows:
        k = rng.randint(1, len(r) + 3)
        rows.append((r + ["多余"] * 3)[:k])
    rows = [r if any(str(c).strip() for c in r) else [*r, "x"] for r in rows]
    return _case("ragged", "csv", ".csv", csv_text(t.headers, rows).encode(), len(rows))


def delimiters(t: Table, rng: random.Random, size: int) -> Case:
    d = rng.choice([";", "\t", "|"])
    text = csv_text(t.headers, t.rows, delimiter=d)
    nl = rng.choice(["\r\n", "\n", "\r"])
    return _case(
        "delimiter",
        f"{d!r}{nl!r}",
        ".csv",
        text.replace("\r\n", nl).encode(),
        len(t.rows) if d != "|" else None,
    )


def blank_lines(t: Table, rng: random.Random, size: int) -> Case:
    lines = csv_text(t.headers, t.rows).split("\r\n")
    out = []
    for line in lines:
        out.append(line)
        if rng.random() < 0.3:
            out.append(rng.choice(["", ",,,", "  ", ", ,"]))
    return _case("blank-lines", "interleaved", ".csv", "\r\n".join(out).encode(), len(t.rows))


def stray_quote(t: Table, rng: random.Random, size: int) -> Case:
    """An opening quote never closed: the rest of the file becomes one cell."""
    rows = [list(r) for r in t.rows]
    i = rng.randrange(len(rows))
    text = csv_text(t.headers, rows)
    line = text.split("\r\n")[i + 1]
    text = text.replace(line, '"' + line, 1)
    return _case("stray-quote", f"row{i + 2}", ".csv", text.encode(), None)


def nul_bytes(t: Table, rng: random.Random, size: int) -> Case:
    data = bytearray(csv_text(t.headers, t.rows).encode())
    for _ in range(rng.randint(1, 5)):
        data.insert(rng.randrange(len(data)), 0)
    return _case("nul", "inserted", ".csv", bytes(data), None)


def byte_flips(t: Table, rng: random.Random, size: int) -> Case:
    xlsx = rng.random() < 0.5
    data = bytearray(xlsx_of(t) if xlsx else csv_text(t.headers, t.rows).encode())
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return _case(
        "byte-flips", "xlsx" if xlsx else "csv", ".xlsx" if xlsx else ".csv", bytes(data), None
    )


def wrong_type(t: Table, rng: random.Random, size: int) -> Case:
    """Binary garbage, an image, or a real file under the other suffix."""
    variant = rng.choice(
        [
            "garbage.xlsx",
            "garbage.csv",
            "garbage.xls",
            "png.xlsx",
            "csv-as.xlsx",
            "xlsx-as.csv",
            "xlsx-as.xls",
            "pdf.xlsx",
            "csv-as.xls",
        ]
    )
    garbage = rng.randbytes(rng.choice([1, 100, 5000, 100_000]))
    data = {
        "garbage.xlsx": garbage,
        "garbage.csv": garbage,
        "garbage.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + garbage,
        "png.xlsx": b"\x89PNG\r\n\x1a\n" + garbage,
        "csv-as.xlsx": csv_text(t.headers, t.rows).encode(),
        "xlsx-as.csv": xlsx_of(t),
        "xlsx-as.xls": xlsx_of(t),
        "pdf.xlsx": b"%PDF-1.4\n" + garbage,
        "csv-as.xls": csv_text(t.headers, t.rows).encode(),
    }[variant]
    return _case("wrong-type", variant, "." + variant.rsplit(".", 1)[1], data, None)


def zip_bomb(t: Table, rng: random.Random, size: int) -> Case:
    """A few MB of zip whose sheet (or shared strings) inflate to ``size`` bytes."""
    variant = rng.choice(["rows", "whitespace", "shared-strings"])
    if variant == "shared-strings":
        data = raw_xlsx([RawSheet("s", sheet_xml([t.headers, *t.rows]))], shared_strings_bomb(size))
    else:
        data = raw_xlsx([RawSheet("s", sheet_bomb(t.headers, size, rows=variant == "rows"))])
    return _case("zip-bomb", f"{variant}:{size >> 20}MB", ".xlsx", data, None, "refuse")


# --- cells ------------------------------------------------------------------------------
def _pick_rows(t: Table, rng: random.Random) -> list[int]:
    return rng.sample(range(len(t.rows)), k=rng.randint(1, max(1, len(t.rows) // 3)))


def formula_cells(t: Table, rng: random.Random, size: int) -> Case:
    """Formula-like text in free-text columns (accepted as text) or anywhere."""
    t = t.copy()
    cols = t.text if (t.text and rng.random() < 0.7) else list(range(len(t.headers)))
    for r in _pick_rows(t, rng):
        t.rows[r][rng.choice(cols)] = rng.choice(FORMULAS)
    if rng.random() < 0.5:
        return _case("formula", "csv", ".csv", csv_text(t.headers, t.rows).encode(), len(t.rows))
    return _case("formula", "xlsx", ".xlsx", xlsx_of(t), len(t.rows))


def xlsx_formulas(t: Table, rng: random.Random, size: int) -> Case:
    """Real formulas (no cached value: data-only readers see a blank cell)."""
    t = t.copy()
    for r in _pick_rows(t, rng):
        c = rng.randrange(len(t.headers))
        t.rows[r][c] = rng.choice(["=1+1", f'="{t.rows[r][c]}"', "=A1", "=1/0", "=NOW()"])
    return _case("xlsx-formulas", "cells", ".xlsx", xlsx_of(t), len(t.rows))


def huge_cell(t: Table, rng: random.Random, size: int) -> Case:
    t = t.copy()
    r, c = rng.randrange(len(t.rows)), rng.randrange(len(t.headers))
    fill = rng.choice(["a", "张", "1", " ", "=", "\u200b"])
    t.rows[r][c] = fill * (HUGE // len(fill.encode()))
    if rng.random() < 0.5:
        return _case(
            "huge-cell",
            f"csv r{r + 2}c{c + 1}",
            ".csv",
            csv_text(t.headers, t.rows).encode(),
            len(t.rows),
        )
    return _case("huge-cell", f"xlsx r{r + 2}c{c + 1}", ".xlsx", xlsx_of(t), len(t.rows))


def huge_header(t: Table, rng: random.Random, size: int) -> Case:
    headers = list(t.headers)
    headers[rng.randrange(len(headers))] += "x" * HUGE
    return _case("huge-cell", "header", ".csv", csv_text(headers, t.rows).encode(), None)


def long_text(t: Table, rng: random.Random, size: int) -> Case:
    """Text a little or much longer than a database column (51, 65, 201, 5000 chars)."""
    t = t.copy()
    n = rng.choice([51, 61, 65, 121, 201, 256, 5000])
    for r in _pick_rows(t, rng):
        c = rng.choice(t.text + t.codes) if (t.text or t.codes) else 0
        t.rows[r][c] = rng.choice(["张", "a", "1"]) * n
    return _case("long-text", f"{n}", ".csv", csv_text(t.headers, t.rows).encode(), len(t.rows))


def odd_numbers(t: Table, rng: random.Random, size: int) -> Case:
    t = t.copy()
    cols = t.numbers or list(range(len(t.headers)))
    for r in _pick_rows(t, rng):
        t.rows[r][rng.choice(cols)] = rng.choice(NUMBERS)
    return _case("odd-numbers", "csv", ".csv", csv_text(t.headers, t.rows).encode(), len(t.rows))


def odd_dates(t: Table, rng: random.Random, size: int) -> Case:
    t = t.copy()
    cols = t.dates or list(range(len(t.headers)))
    for r in _pick_rows(t, rng):
        t.rows[r][rng.choice(cols)] = rng.choice(DATES)
    return _case("odd-dates", "csv", ".csv", csv_text(t.headers, t.rows).encode(), len(t.rows))


def unicode_tricks(t: Table, rng: random.Random, size: int) -> Case:
    """Zero-width spaces, full-width digits, right-to-left marks, combining marks, emoji."""
    t = t.copy()
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    for r in _pick_rows(t, rng):
        c = rng.randrange(len(t.headers))
        v = str(t.rows[r][c])
        t.rows[r][c] = rng.choice(
            [
                v.translate(full),
                "\u200b" + v + "\u200b",
                "\u202e" + v,
                v + "\u0301",
                v + "😀",
                "\u3000" + v + "\u3000",
                v.replace("0", "O"),
                "\x0b" + v,
                v + "\x85",
                "𠀀𪚥" + v,
                "\ud7ff" + v,
            ]
        )
    return _case("unicode", "cells", ".csv", csv_text(t.headers, t.rows).encode(), len(t.rows))


def duplicate_rows(t: Table, rng: random.Random, size: int) -> Case:
    t = t.copy()
    extra = [list(t.rows[i]) for i in _pick_rows(t, rng)]
    t.rows += extra
    return _case(
        "duplicate-rows",
        f"+{len(extra)}",
        ".csv",
        csv_text(t.headers, t.rows).encode(),
        len(t.rows),
    )


# --- spreadsheets -------------------------------------------------------------------------
def shared_strings_tricks(t: Table, rng: random.Random, size: int) -> Case:
    """A cell pointing past the shared-strings table, at text, or at no table at all."""
    variant = rng.choice(["index-past-end", "index-text", "no-table", "negative", "huge-count"])
    cell = {
        "index-past-end": RawCell("s", "99999"),
        "index-text": RawCell("s", "abc"),
        "no-table": RawCell("s", "0"),
        "negative": RawCell("s", "-1"),
        "huge-count": RawCell("s", "0"),
    }[variant]
    rows = [list(r) for r in t.rows]
    r = rng.randrange(len(rows))
    rows[r][rng.randrange(len(t.headers))] = cell
    shared = {"no-table": None, "huge-count": sst_xml(["共享"], count=10**12)}.get(
        variant, sst_xml(["共享", "字符串"])
    )
    return _case(
        "shared-strings",
        variant,
        ".xlsx",
        raw_xlsx([RawSheet("s", sheet_xml([t.headers, *rows]))], shared),
        len(rows),
    )


def bad_cell_types(t: Table, rng: random.Random, size: int) -> Case:
    """Cells whose type says number, date or boolean and whose text is not one."""
    cell = rng.choice(
        [
            RawCell(None, "abc"),
            RawCell("n", "12x"),
            RawCell("n", "nan"),
            RawCell("n", "1e400"),
            RawCell("d", "2024-99-99"),
            RawCell("b", "2"),
            RawCell("e", "#REF!"),
            RawCell("str", "", "<f>1+1</f>"),
            RawCell("n", "-1e400"),
            RawCell("d", "not a date"),
            RawCell("x", "?"),
        ]
    )
    rows = [list(r) for r in t.rows]
    r = rng.randrange(len(rows))
    rows[r][rng.randrange(len(t.headers))] = cell
    return _case(
        "cell-types",
        f"t={cell.t} v={cell.v}",
        ".xlsx",
        raw_xlsx([RawSheet("s", sheet_xml([t.headers, *rows]))]),
        len(rows),
    )


def excel_numbers(t: Table, rng: random.Random, size: int) -> Case:
    """ID numbers and codes as numbers (leading zeros and precision lost), dates as serials."""
    t = t.copy()
    for row in t.rows:
        for c in t.ids + t.codes:
            v = str(row[c])
            if v.isdigit():
                row[c] = float(v) if len(v) > 15 else int(v)
        for c in t.dates:
            try:
                day = dt.date.fromisoformat(str(row[c]))
            except ValueError:
                continue
            row[c] = (day - dt.date(1899, 12, 30)).days
    return _case("excel-numbers", "ids-floats-dates-serials", ".xlsx", xlsx_of(t), len(t.rows))


def excel_dates(t: Table, rng: random.Random, size: int) -> Case:
    """Dates as real date cells (what Excel makes of typed dates)."""
    t = t.copy()
    for row in t.rows:
        for c in t.dates:
            try:
                row[c] = dt.datetime.fromisoformat(str(row[c]))
            except ValueError:
                continue
    return _case("excel-dates", "date-cells", ".xlsx", xlsx_of(t), len(t.rows))


def merged_cells(t: Table, rng: random.Random, size: int) -> Case:
    """Blocks of a column merged (one value shown, the others blank to a reader)."""
    c = rng.randrange(len(t.headers))
    merged, r = [], 2
    while r < len(t.rows) + 1:
        span = rng.randint(2, 4)
        end = min(r + span - 1, len(t.rows) + 1)
        if end > r:
            merged.append(f"{_letter(c)}{r}:{_letter(c)}{end}")
        r = end + 1
    return _case("merged", f"col{c + 1}", ".xlsx", xlsx_of(t, merged=merged), len(t.rows))


def _letter(i: int) -> str:
    from bench.inputs.xlsx import col_letter

    return col_letter(i)


def hidden_sheet(t: Table, rng: random.Random, size: int) -> Case:
    """A hidden first sheet: instructions, or an old copy of the data."""
    if rng.random() < 0.5:
        before = [["填表说明"], ["请勿修改表头"]]
        variant = "instructions"
    else:
        before = [t.headers, *t.rows[: len(t.rows) // 2]]
        variant = "old-copy"
    return _case("hidden-sheet", variant, ".xlsx", xlsx_of(t, hidden_before=before), len(t.rows))


def text_formatted(t: Table, rng: random.Random, size: int) -> Case:
    """The careful user's file: ID and code columns formatted as text."""
    return _case(
        "xlsx",
        "text-columns",
        ".xlsx",
        xlsx_of(t, text_columns=t.ids + t.codes),
        len(t.rows),
        "accept",
    )


FAMILIES: dict[str, tuple[Mutation, int]] = {
    # name: (mutation, most inputs per kind; 0 = no limit)
    "encoding": (enc_supported, 0),
    "utf16": (enc_utf16, 0),
    "mojibake": (enc_mojibake, 4),
    "invalid-bytes": (enc_invalid_bytes, 0),
    "mixed-encoding": (enc_mixed, 2),
    "bom": (enc_bom_games, 0),
    "truncated-csv": (truncated_csv, 0),
    "truncated-xlsx": (truncated_xlsx, 0),
    "empty": (empty, 0),
    "headers-only": (headers_only, 4),
    "missing-header": (missing_header, 0),
    "no-header": (no_header, 4),
    "duplicate-header": (duplicate_header, 0),
    "many-columns": (many_columns, 4),
    "ragged": (ragged_rows, 0),
    "delimiter": (delimiters, 0),
    "blank-lines": (blank_lines, 0),
    "stray-quote": (stray_quote, 0),
    "nul": (nul_bytes, 0),
    "byte-flips": (byte_flips, 0),
    "wrong-type": (wrong_type, 0),
    "zip-bomb": (zip_bomb, 3),
    "formula": (formula_cells, 0),
    "xlsx-formulas": (xlsx_formulas, 0),
    "huge-cell": (huge_cell, 6),
    "huge-header": (huge_header, 2),
    "long-text": (long_text, 0),
    "odd-numbers": (odd_numbers, 0),
    "odd-dates": (odd_dates, 0),
    "unicode": (unicode_tricks, 0),
    "duplicate-rows": (duplicate_rows, 0),
    "shared-strings": (shared_strings_tricks, 0),
    "cell-types": (bad_cell_types, 0),
    "excel-numbers": (excel_numbers, 2),
    "excel-dates": (excel_dates, 2),
    "merged": (merged_cells, 0),
    "hidden-sheet": (hidden_sheet, 4),
    "xlsx": (text_formatted, 2),
}


def generate(
    kind: str,
    n: int,
    *,
    seed: int = 2026,
    bomb_size: int = 2 << 30,
    families: list[str] | None = None,
    table: Table | None = None,
) -> Iterator[tuple[str, Case]]:
    """``n`` malformed inputs of ``kind`` as (name, case): the families in turn, each within
    its limit; the same ``seed`` gives the same bytes."""
    base = table or BUILDERS[kind]()
    order = families or list(FAMILIES)
    used = dict.fromkeys(order, 0)
    made, i = 0, 0
    while made < n:
        open_ = [f for f in order if not FAMILIES[f][1] or used[f] < FAMILIES[f][1]]
        if not open_:
            return
        family = open_[i % len(open_)]
        i += 1
        rng = random.Random(f"{seed}:{kind}:{family}:{used[family]}")
        case = FAMILIES[family][0](base, rng, bomb_size)
        used[family] += 1
        made += 1
        yield f"{kind}-{made:03d}-{family}", case

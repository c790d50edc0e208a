"""Turning spreadsheet cells into typed values, with reasons in Chinese and English."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from minzheng.registry.importing.readers import BadCell, Cell


class BadValue(ValueError):
    """A cell that cannot be used, with the reason in both languages."""

    def __init__(self, reason: str, reason_en: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_en = reason_en


def text(cell: Cell) -> str:
    """A cell as trimmed text; integral floats lose their ``.0`` (Excel numbers).

    Raises :class:`BadValue` for a cell the reader could not read as written
    (:class:`~minzheng.registry.importing.readers.BadCell`), so every parser built on
    this one reports it with its reason.
    """
    if isinstance(cell, BadCell):
        raise BadValue(cell.reason, cell.reason_en)
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip().replace("\u3000", " ").strip()


def code_text(cell: Cell) -> str:
    """A code column: digits only expected; Excel numbers are fine for short codes.

    Digits typed in another script (full-width ４, Arabic-Indic ٤, superscript ²) become
    ASCII ones, so a code is either ASCII digits or visibly wrong, never both.
    """
    return "".join(_ascii_digit(c) for c in text(cell).replace(" ", ""))


def _ascii_digit(c: str) -> str:
    if c.isascii() or not c.isdigit():
        return c
    return str(unicodedata.digit(c, c))


_MONEY = re.compile(r"^-?\d+(\.\d{1,2})?$")


def money_fen(cell: Cell) -> int | None:
    """Yuan (up to 2 decimals, commas and ¥/元 allowed) → integer fen; blank → None."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = Decimal(str(cell))
    else:
        s = text(cell).replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
        if not s:
            return None
        if not _MONEY.match(s):
            raise BadValue(
                "金额格式错误，应为数字（元），最多两位小数",
                "not an amount in yuan (digits, up to 2 decimals)",
            )
        value = Decimal(s)
    try:
        fen = (value * 100).quantize(Decimal(1))
    except InvalidOperation as exc:
        raise BadValue("金额格式错误", "not an amount") from exc
    if fen != value * 100:
        raise BadValue("金额最多两位小数", "an amount has at most 2 decimals")
    if fen < 0:
        raise BadValue("金额不能为负数", "an amount cannot be negative")
    return int(fen)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date_value(cell: Cell) -> dt.date | None:
    """A date from an Excel date cell or ISO/Chinese text; blank → None."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    s = text(cell)
    if not s:
        return None
    for pat in _DATE_PATTERNS:
        m = pat.match(s)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise BadValue(
        "日期格式错误，应为 2024-07-01 或 2024年7月1日",
        "not a date; use 2024-07-01 or 2024年7月1日",
    )

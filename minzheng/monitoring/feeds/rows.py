"""Checking one feed row against its kind: every cell typed, or rejected with a reason.

A missing or wrong ID number is *not* a rejection: the record is kept with ``id_valid``
false so probabilistic linkage can still find the person on name, sex, birth date and
division. A missing required cell or an unparsable value is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from minzheng.divisions.selectors import known_address_codes, normalise_code
from minzheng.identity.names import normalise_name
from minzheng.identity.resident_id import InvalidId, parse
from minzheng.monitoring.feeds.kinds import FeedColumn, FeedKind
from minzheng.registry import codes
from minzheng.registry.importing.readers import Cell
from minzheng.registry.importing.validate import OUTSIDE, DivisionIndex, ImportScope, RowError
from minzheng.registry.importing.values import BadValue, code_text, date_value, money_fen, text


@dataclass(slots=True)
class FeedRow:
    """A checked row: what the feed record should hold."""

    row: int
    source_key: str
    id_number: str
    id_valid: bool
    name: str
    sex: str
    birth_date: dt.date | None
    division_code: str
    division_id: int | None
    event_date: dt.date | None
    payload_json: str
    row_hash: str
    notes: list[RowError] = field(default_factory=list)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What linkage reads: a change here makes an earlier link stale."""
        return (self.id_number, self.name, self.sex, self.birth_date, self.division_code)


# --- one value per column type -----------------------------------------------------------------
def _integer(cell: Cell, col: FeedColumn) -> int:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    s = text(cell).replace(",", "")
    if not re.fullmatch(r"-?\d+", s):
        raise BadValue("应为整数", "not a whole number")
    return int(s)


def _decimal(cell: Cell, col: FeedColumn) -> str:
    """Kept as text in the payload so no digit is lost to binary floating point."""
    s = text(cell).replace(",", "")
    try:
        value = Decimal(s)
    except InvalidOperation as exc:
        raise BadValue("应为数字", "not a number") from exc
    if not value.is_finite():
        raise BadValue("应为数字", "not a number")
    return format(value.normalize(), "f")


def _money(cell: Cell, col: FeedColumn) -> int | None:
    return money_fen(cell)


@lru_cache(maxsize=65_536)
def _date_text(s: str) -> dt.date | None:
    return date_value(s)


def _date(cell: Cell, col: FeedColumn) -> dt.date | None:
    """Feeds repeat the same few thousand dates: parse each text once per process."""
    return _date_text(cell) if isinstance(cell, str) else date_value(cell)


_MONTH = re.compile(r"^(\d{4})(?:[-/.年]\s*(\d{1,2})月?|(\d{2}))$")


def _month(cell: Cell, col: FeedColumn) -> dt.date:
    """A month as its first day: 2024-07, 2024/7, 2024年7月, 202407, or any date in it."""
    if isinstance(cell, dt.date):
        return date_value(cell).replace(day=1)  # type: ignore[union-attr]
    s = text(cell)
    m = _MONTH.match(s)
    if m and 1 <= int(m[2] or m[3]) <= 12:
        return dt.date(int(m[1]), int(m[2] or m[3]), 1)
    try:
        day = date_value(s)
    except BadValue:
        day = None
    if day is None:
        raise BadValue("月份格式错误，应为 2024-07 或 2024年7月", "not a month; use 2024-07")
    return day.replace(day=1)


def _sex(cell: Cell, col: FeedColumn) -> str:
    raw = text(cell)
    code = codes.lookup(raw, codes.SEX, codes.SEX_ALIASES)
    if code is None:
        raise BadValue(f"性别“{raw}”无效，应为 男 或 女", f"sex '{raw}' is invalid; use 男 or 女")
    return code


def _choice(cell: Cell, col: FeedColumn) -> str:
    raw = text(cell)
    if raw not in col.values:
        allowed = "、".join(col.values)
        raise BadValue(
            f"“{raw}”不是有效的{col.zh}，可填：{allowed}",
            f"'{raw}' is not a valid {col.name}; use one of {', '.join(col.values)}",
        )
    return raw


def _division(cell: Cell, col: FeedColumn) -> str:
    raw = code_text(cell)
    if not raw.isdigit() or len(raw) not in (6, 9, 12):
        raise BadValue(
            f"行政区划代码“{raw}”格式错误，应为 6、9 或 12 位数字",
            f"division code '{raw}' must be 6, 9 or 12 digits",
        )
    return normalise_code(raw)


def _text(cell: Cell, col: FeedColumn) -> str:
    return text(cell)


PARSERS: dict[str, Callable[[Cell, FeedColumn], Any]] = {
    "id_number": _text,
    "text": _text,
    "date": _date,
    "month": _month,
    "money": _money,
    "integer": _integer,
    "decimal": _decimal,
    "division": _division,
    "sex": _sex,
    "choice": _choice,
}


def _json_value(value: Any, col: FeedColumn) -> Any:
    if col.type == "month":
        return value.strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# --- the row -----------------------------------------------------------------------------------
class FeedRowChecker:
    """Types every cell of a row of ``kind``; collects all errors without stopping."""

    def __init__(
        self,
        kind: FeedKind,
        headers: dict[str, str],
        divisions: DivisionIndex,
        today: dt.date,
        scope: ImportScope | None = None,
    ) -> None:
        self.kind = kind
        self.headers = headers  # column name → header as it appears in the file
        self.divisions = divisions
        self.today = today
        self.scope = scope or ImportScope()
        self.address_codes = known_address_codes()
        self.payload_columns = kind.payload_columns

    def _err(self, row: int, col: FeedColumn, reason: str, reason_en: str) -> RowError:
        return RowError(row, self.headers.get(col.name, col.zh), reason, reason_en)

    def _typed(self, rownum: int, cells: dict[str, Cell]) -> dict[str, Any] | list[RowError]:
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        for col in self.kind.columns:
            cell = cells.get(col.name)
            if _blank(cell):
                values[col.name] = None
                if col.required:
                    errors.append(
                        self._err(rownum, col, f"{col.zh}不能为空", f"{col.name} is required")
                    )
                continue
            try:
                values[col.name] = PARSERS[col.type](cell, col)
            except BadValue as exc:
                errors.append(self._err(rownum, col, exc.reason, exc.reason_en))
        return errors or values

    def check(self, rownum: int, cells: dict[str, Cell]) -> FeedRow | list[RowError]:
        """A :class:`FeedRow`, or the list of everything wrong with the row."""
        values = self._typed(rownum, cells)
        if isinstance(values, list):
            return values
        notes: list[RowError] = []
        place = self._place(rownum, values["division"], notes)
        if isinstance(place, RowError):
            return [place]
        id_number, id_valid, sex, born = self._identity(rownum, values, notes)
        payload = {
            c.name: _json_value(values[c.name], c)
            for c in self.payload_columns
            if values[c.name] is not None
        }
        payload_json = json.dumps(
            payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        event = values[self.kind.date] if self.kind.date else None
        row = FeedRow(
            row=rownum,
            source_key=str(values[self.kind.key])[:100],
            id_number=id_number,
            id_valid=id_valid,
            name=normalise_name(values["name"] or "")[:100],
            sex=sex,
            birth_date=born,
            division_code=place[0],
            division_id=place[1],
            event_date=event,
            payload_json=payload_json,
            row_hash="",
            notes=notes,
        )
        row.row_hash = _hash(row)
        return row

    def _place(
        self, rownum: int, code12: str | None, notes: list[RowError]
    ) -> tuple[str, int | None] | RowError:
        """(12-digit code in force, division pk); unknown codes are kept for national scope."""
        col = self.kind.column("division")
        if code12 is None:  # a kind may leave the division optional
            return ("", None) if self.scope.low is None else self._err(rownum, col, *OUTSIDE)
        found = self.divisions.maps.resolve(code12)
        if found is None:
            if self.scope.low is not None:  # only national scope may hold a record nobody else sees
                return self._err(
                    rownum,
                    col,
                    f"行政区划代码“{code12}”不存在",
                    f"unknown division code '{code12}'",
                )
            notes.append(
                self._err(
                    rownum,
                    col,
                    f"行政区划代码“{code12}”不存在，记录仅全国范围可见",
                    f"unknown division code '{code12}'; only national scope sees the record",
                )
            )
            return code12, None
        pk, retired = found
        current = self.divisions.code_of[pk]
        if not self.scope.allows(current):
            return self._err(rownum, col, "不在您的辖区内", "outside your jurisdiction")
        if retired:
            notes.append(
                self._err(
                    rownum,
                    col,
                    f"区划代码 {code12} 已撤销，已对应到现行区划 {current}",
                    f"division code {code12} is retired; mapped to its successor {current}",
                )
            )
        return current, pk

    def _identity(
        self, rownum: int, values: dict[str, Any], notes: list[RowError]
    ) -> tuple[str, bool, str, dt.date | None]:
        """(ID number, valid, sex, birth date); a valid ID fills a blank sex or birth date."""
        raw = values["id_number"] or ""
        sex, born = values["sex"] or "", values["birth_date"]
        if not raw:
            return "", False, sex, born
        try:
            rid = parse(raw, known_address_codes=self.address_codes, today=self.today)
        except InvalidId as exc:
            col = self.kind.column("id_number")
            notes.append(
                self._err(
                    rownum,
                    col,
                    f"{exc.message}（已保留，用于比对）",
                    f"{exc.message_en} (kept for linkage)",
                )
            )
            return raw[:64], False, sex, born
        return rid.number, True, sex or rid.sex, born or rid.birth_date


def _hash(row: FeedRow) -> str:
    """Tells an unchanged re-imported row from an updated one."""
    parts = (
        row.id_number,
        row.name,
        row.sex,
        row.birth_date.isoformat() if row.birth_date else "",
        row.division_code,
        row.event_date.isoformat() if row.event_date else "",
        row.payload_json,
    )
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()

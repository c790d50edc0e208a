"""Chinese resident identity numbers (公民身份号码, GB 11643-1999).

An 18-character number is 6 address-code digits, 8 birth-date digits (YYYYMMDD),
3 sequence digits (the last one odd for men, even for women) and an ISO 7064
MOD 11-2 check character (a digit or ``X``). Legacy 15-digit numbers omit the
century and the check character.

Validation deliberately does not use python-stdnum's ``cn.ric``: it rejects
valid numbers whose address code was created after the holder's birth year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CHECK_CHARS",
    "EARLIEST_BIRTH",
    "EXCEL_NUMBER_MESSAGE",
    "EXCEL_NUMBER_MESSAGE_EN",
    "PROVINCE_CODES",
    "WEIGHTS",
    "ErrorCode",
    "InvalidId",
    "ResidentId",
    "check_char",
    "looks_like_excel_number",
    "make_id",
    "mask",
    "normalise",
    "parse",
    "upgrade_15",
]

from minzheng.core.errors import BilingualError

ErrorCode = Literal[
    "empty", "excel_number", "format", "checksum", "birth_date", "future_birth", "address"
]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1890, 1, 1)
PROVINCE_CODES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82)]
)

EXCEL_NUMBER_MESSAGE = "身份证号被转换为数字，请将该列设置为文本后重新填写"
EXCEL_NUMBER_MESSAGE_EN = (
    "the ID number was turned into a number by Excel; format the column as text and enter it again"
)

_TO_ASCII = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "X", "x": "X"}
)
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
_DIGITS17 = re.compile(r"[0-9]{17}")
_ADDRESS = re.compile(r"[0-9]{6}")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]*)?[eE][+]?[0-9]{1,3}")
_FLOAT_ZERO = re.compile(r"[0-9]+\.0+")


class InvalidId(BilingualError):
    """A resident ID number failed validation; ``code`` says why, ``message`` tells the user."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, message_en: str) -> None:
        super().__init__(code, message, message_en)


@dataclass(frozen=True)
class ResidentId:
    """A validated 18-character resident ID number and the facts encoded in it."""

    number: str
    address_code: str
    birth_date: dt.date
    sex: str
    upgraded_from_15: bool = False

    def age_on(self, day: dt.date) -> int:
        """Return the age in completed years (周岁) on ``day``; Feb 29 birthdays count from Mar 1."""
        born = self.birth_date
        if day < born:
            raise ValueError(f"{day} is before the birth date {born}")
        before_birthday = (day.month, day.day) < (born.month, born.day)
        return day.year - born.year - int(before_birthday)


def normalise(raw: str) -> str:
    """Strip all whitespace, convert full-width digits and X to ASCII, upper-case x."""
    return _INVISIBLE.sub("", raw).translate(_TO_ASCII)


def check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if not _DIGITS17.fullmatch(first17):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(id15: str) -> str:
    """Convert a legacy 15-digit number to 18 characters (insert "19", append the check)."""
    digits = normalise(id15)
    if not _ID15.fullmatch(digits):
        raise _format_error(digits)
    first17 = f"{digits[:6]}19{digits[6:]}"
    return first17 + check_char(first17)


def looks_like_excel_number(raw: str) -> bool:
    """True if ``raw`` is what Excel made of a long number: "4.40106E+17" or "…1234.0"."""
    text = normalise(raw)
    return bool(_SCIENTIFIC.fullmatch(text) or _FLOAT_ZERO.fullmatch(text))


def parse(
    raw: str,
    *,
    known_address_codes: Container[str] | None = None,
    today: dt.date | None = None,
) -> ResidentId:
    """Validate ``raw`` and return its :class:`ResidentId`; raise :class:`InvalidId` if invalid.

    ``known_address_codes`` should hold every address code that ever existed
    (current and retired): a number keeps the code it was issued under. Without
    it only the province (first two digits) is checked.
    """
    number, upgraded = _canonical(raw)
    _check_checksum(number)
    birth = _birth_date(number[6:14], today or dt.date.today())
    _check_address(number[:6], known_address_codes)
    sex = "1" if int(number[16]) % 2 else "2"
    return ResidentId(number, number[:6], birth, sex, upgraded)


def mask(number: str) -> str:
    """Mask a number for display as "440106********123X": keep the first 6 and last 4."""
    text = normalise(number)
    if len(text) < 15:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def make_id(address_code: str, birth: dt.date, seq: int) -> str:
    """Build a valid 18-character number (for tests and synthetic data); odd ``seq`` is male."""
    if not _ADDRESS.fullmatch(address_code):
        raise ValueError(f"address code must be 6 digits, got {address_code!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0..999, got {seq}")
    first17 = f"{address_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + check_char(first17)


def _canonical(raw: str) -> tuple[str, bool]:
    """Normalise ``raw`` to 18 characters; the flag says it was upgraded from 15 digits."""
    text = normalise(raw)
    if not text:
        raise InvalidId("empty", "身份证号为空", "the ID number is empty")
    if looks_like_excel_number(text):
        raise InvalidId("excel_number", EXCEL_NUMBER_MESSAGE, EXCEL_NUMBER_MESSAGE_EN)
    if _ID15.fullmatch(text):
        return upgrade_15(text), True
    if _ID18.fullmatch(text):
        return text, False
    raise _format_error(text)


def _format_error(text: str) -> InvalidId:
    """Describe why ``text`` is neither 18 characters nor 15 digits."""
    if len(text) not in (15, 18):
        return InvalidId(
            "format",
            f"身份证号位数错误：应为18位或15位，实际为{len(text)}位",
            f"wrong length: expected 18 or 15 characters, got {len(text)}",
        )
    return InvalidId(
        "format",
        "身份证号含有非法字符：前17位应为数字，末位应为数字或X",
        "invalid characters: the first 17 must be digits and the last a digit or X",
    )


def _check_checksum(number: str) -> None:
    """Raise unless the last character of ``number`` is its correct check character."""
    expected = check_char(number[:17])
    if number[17] != expected:
        raise InvalidId(
            "checksum",
            f"身份证号校验位错误，应为 {expected}",
            f"check digit is wrong, expected {expected}",
        )


def _birth_date(text: str, today: dt.date) -> dt.date:
    """Return the YYYYMMDD ``text`` as a date between 1890-01-01 and ``today``."""
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise InvalidId(
            "birth_date",
            f"身份证号中的出生日期 {text} 不是有效日期",
            f"the birth date {text} is not a valid calendar date",
        ) from None
    if born < EARLIEST_BIRTH:
        raise InvalidId(
            "birth_date",
            f"身份证号中的出生日期 {born} 早于1890年",
            f"the birth date {born} is before 1890",
        )
    if born > today:
        raise InvalidId(
            "future_birth",
            f"身份证号中的出生日期 {born} 晚于今天",
            f"the birth date {born} is in the future",
        )
    return born


def _check_address(code: str, known: Container[str] | None) -> None:
    """Raise unless ``code`` is known (or, with no list, has a real province prefix)."""
    if known is not None and code not in known:
        raise InvalidId(
            "address",
            f"身份证号中的地址码 {code} 不存在",
            f"the address code {code} is not a known division code",
        )
    if known is None and code[:2] not in PROVINCE_CODES:
        raise InvalidId(
            "address",
            f"身份证号中的省级代码 {code[:2]} 不存在",
            f"the province code {code[:2]} does not exist",
        )

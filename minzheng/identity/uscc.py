"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from ``ALPHABET`` (no I, O, Z, S, V): registration authority (1),
organisation type (1), division code of the registering office (6 digits),
organisation code (9, GB 11714: 8 characters and its own MOD 11 check) and a
MOD 31 check character. Civil affairs (民政) registers with authority "5":
type "1" social group (社会团体), "2" private non-enterprise unit (民办非企业单位,
now 社会服务机构), "3" foundation (基金会).

python-stdnum's ``cn.uscc.validate`` is not used: it requires the first two
characters to be digits (rejecting authorities such as "N" agriculture or "Y"
other) and never checks the embedded organisation code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALPHABET",
    "CIVIL_AFFAIRS",
    "CIVIL_AFFAIRS_TYPES",
    "ErrorCode",
    "InvalidUscc",
    "Uscc",
    "check_char",
    "make_uscc",
    "normalise",
    "org_check_char",
    "parse",
]

from minzheng.core.errors import BilingualError

ErrorCode = Literal["empty", "format", "checksum", "org_code"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CIVIL_AFFAIRS = "5"
CIVIL_AFFAIRS_TYPES = {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}

_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_FULL_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF5B)})
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_DIVISION = re.compile(r"[0-9]{6}")
_ORG_BODY = re.compile(r"[0-9A-Z]{8}")
_FIRST17 = re.compile(f"[{ALPHABET}]{{17}}")


class InvalidUscc(BilingualError):
    """A unified social credit code failed validation; ``code`` says why."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, message_en: str) -> None:
        super().__init__(code, message, message_en)


@dataclass(frozen=True)
class Uscc:
    """A validated unified social credit code split into its parts."""

    code: str
    registration_authority: str
    org_type: str
    division_code: str
    org_code: str


def normalise(raw: str) -> str:
    """Strip all whitespace, convert full-width characters to ASCII and upper-case."""
    return _INVISIBLE.sub("", raw).translate(_FULL_WIDTH).upper()


def check_char(first17: str) -> str:
    """Return the GB 32100 MOD 31 check character for the first 17 characters."""
    if not _FIRST17.fullmatch(first17):
        raise ValueError(f"expected 17 characters from {ALPHABET}, got {first17!r}")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


def org_check_char(body8: str) -> str:
    """Return the GB 11714 check character (0-9 or X) of an 8-character organisation code."""
    if not _ORG_BODY.fullmatch(body8):
        raise ValueError(f"expected 8 digits or capital letters, got {body8!r}")
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = -total % 11
    return "X" if value == 10 else str(value)


def parse(raw: str) -> Uscc:
    """Validate ``raw`` and return its :class:`Uscc`; raise :class:`InvalidUscc` if invalid."""
    code = normalise(raw)
    _check_format(code)
    _check_checksum(code)
    _check_org_code(code[8:17])
    return Uscc(code, code[0], code[1], code[2:8], code[8:17])


def make_uscc(authority: str, org_type: str, division: str, seq: int) -> str:
    """Build a valid code from its parts and a serial number (for synthetic data).

    Civil affairs examples: ``make_uscc("5", "1", "440106", 1)`` (social group),
    ``"2"`` private non-enterprise unit, ``"3"`` foundation.
    """
    if not (_is_code_char(authority) and _is_code_char(org_type)):
        raise ValueError("authority and org_type must be single characters from ALPHABET")
    if not _DIVISION.fullmatch(division):
        raise ValueError(f"division must be 6 digits, got {division!r}")
    if not 0 <= seq < 10**8:
        raise ValueError(f"seq must be 0..99999999, got {seq}")
    body = f"{seq:08d}"
    first17 = f"{authority}{org_type}{division}{body}{org_check_char(body)}"
    return first17 + check_char(first17)


def _is_code_char(char: str) -> bool:
    """True if ``char`` is exactly one character of ``ALPHABET``."""
    return len(char) == 1 and char in ALPHABET


def _check_format(code: str) -> None:
    """Raise unless ``code`` has 18 allowed characters and a 6-digit division code."""
    if not code:
        raise InvalidUscc("empty", "统一社会信用代码为空", "the code is empty")
    if len(code) != 18:
        raise InvalidUscc(
            "format",
            f"统一社会信用代码应为18位，实际为{len(code)}位",
            f"the code must be 18 characters, got {len(code)}",
        )
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise InvalidUscc(
            "format",
            f"统一社会信用代码含有不允许的字符 {''.join(bad)}（不使用 I、O、Z、S、V）",
            f"the code contains {''.join(bad)}: only digits and capitals except I O Z S V",
        )
    if not _DIVISION.fullmatch(code[2:8]):
        raise InvalidUscc(
            "format",
            "统一社会信用代码第3-8位应为行政区划代码（6位数字）",
            "characters 3-8 must be a 6-digit division code",
        )


def _check_checksum(code: str) -> None:
    """Raise unless the 18th character is the MOD 31 check character."""
    expected = check_char(code[:17])
    if code[17] != expected:
        raise InvalidUscc(
            "checksum",
            f"统一社会信用代码校验位错误，应为 {expected}",
            f"check character is wrong, expected {expected}",
        )


def _check_org_code(org: str) -> None:
    """Raise unless the 9-character organisation code carries its own GB 11714 check."""
    expected = org_check_char(org[:8])
    if org[8] != expected:
        raise InvalidUscc(
            "org_code",
            f"统一社会信用代码中的组织机构代码 {org} 校验位错误，应为 {expected}",
            f"the organisation code {org} has a wrong check character, expected {expected}",
        )

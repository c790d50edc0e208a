"""Chinese personal names: normalisation and pinyin search keys.

pypinyin is imported lazily (it costs ~130 ms) so ``import minzheng`` stays cheap.
Surnames are read with :data:`SURNAME_PINYIN` because pypinyin reads many
surname characters with their common-word sound (单 dan, 曾 ceng, 仇 chou …).
Pinyin is plain ASCII: no tones, and ü is written ``v`` (吕 → "lv").
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "COMPOUND_SURNAMES",
    "MIDDLE_DOT",
    "SURNAME_PINYIN",
    "name_initials",
    "name_key",
    "name_pinyin",
    "normalise_name",
]

MIDDLE_DOT = "\u00b7"

#: Two-character surnames; the surname is only split off when a given name follows.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "司徒",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "令狐",
        "夏侯",
        "万俟",
        "单于",
        "澹台",
        "端木",
        "轩辕",
        "呼延",
        "赫连",
        "申屠",
        "闾丘",
        "南宫",
        "西门",
        "濮阳",
        "淳于",
        "公冶",
        "宗政",
        "太叔",
        "司空",
        "拓跋",
        "乐正",
    ]
)

#: Surname readings where pypinyin (0.55) is wrong, plus compound surnames whose
#: characters read alone would be wrong (pypinyin's phrase table gets these right today).
SURNAME_PINYIN = {
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "区": "ou",
    "解": "xie",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "翟": "zhai",
    "缪": "miao",
    "乐": "yue",
    "繁": "po",
    "秘": "bi",
    "员": "yun",
    "折": "she",
    "隗": "wei",
    "召": "shao",
    "黑": "he",
    "句": "gou",
    "阚": "kan",
    "便": "pian",
    "种": "chong",
    "祭": "zhai",
    "奇": "ji",
    "尉迟": "yu chi",
    "万俟": "mo qi",
    "长孙": "zhang sun",
    "单于": "chan yu",
    "澹台": "tan tai",
    "乐正": "yue zheng",
}

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HALF_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF5B)})
_SPACES = re.compile(r"[\s\u200b\ufeff]+")
_DOTS = re.compile("[\u00b7\u2022\u2027\u30fb\uff0e\uff65\u2219\u22c5\u0387]")
_CJK_PERIOD = re.compile(f"(?<=[{_CJK}]) ?[.。] ?(?=[{_CJK}])")
_CJK_END_STOP = re.compile(f"(?<=[{_CJK}])[.。 {MIDDLE_DOT}]+$")
_SPACE_BY_CJK = re.compile(f" (?=[{_CJK}{MIDDLE_DOT}])|(?<=[{_CJK}{MIDDLE_DOT}]) ")
_REPEATED_DOTS = re.compile(f"{MIDDLE_DOT}{{2,}}")
_IS_CJK = re.compile(f"[{_CJK}]")
_TOKEN = re.compile(f"{MIDDLE_DOT}|[^\\s{MIDDLE_DOT}]+")


def normalise_name(raw: str) -> str:
    """Tidy a name: no spaces next to CJK, half-width letters, one kind of middle dot (U+00B7)."""
    text = _SPACES.sub(" ", raw.translate(_HALF_WIDTH)).strip()
    text = _CJK_PERIOD.sub(MIDDLE_DOT, _DOTS.sub(MIDDLE_DOT, text))
    text = _REPEATED_DOTS.sub(MIDDLE_DOT, _SPACE_BY_CJK.sub("", text))
    return _CJK_END_STOP.sub("", text.strip(f" {MIDDLE_DOT}"))


def name_pinyin(name: str) -> str:
    """Return toneless lower-case pinyin syllables joined by spaces ("张三" → "zhang san")."""
    return " ".join(_syllables(normalise_name(name)))


def name_key(name: str) -> str:
    """Return a homophone-matching key: pinyin without spaces or dots ("张三" → "zhangsan")."""
    return "".join(s for s in _syllables(normalise_name(name)) if s != MIDDLE_DOT)


def name_initials(name: str) -> str:
    """Return the first letter of every syllable ("张三" → "zs")."""
    return "".join(s[0] for s in _syllables(normalise_name(name)) if s != MIDDLE_DOT)


@lru_cache(maxsize=65536)
def _syllables(name: str) -> tuple[str, ...]:
    """Split a normalised name into pinyin syllables, non-CJK words and middle dots (cached)."""
    surname, given = _split_surname(name)
    return (*_surname_syllables(surname), *_to_pinyin(given))


def _split_surname(name: str) -> tuple[str, str]:
    """Return (surname, rest); no surname for dotted (transliterated) or non-CJK names."""
    if not name or MIDDLE_DOT in name or not _IS_CJK.match(name):
        return "", name
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _surname_syllables(surname: str) -> list[str]:
    """Read a surname with the override table, falling back to pypinyin."""
    if surname in SURNAME_PINYIN:
        return SURNAME_PINYIN[surname].split()
    return _to_pinyin(surname)


def _to_pinyin(text: str) -> list[str]:
    """Convert ``text`` with pypinyin's phrase-aware lazy style; other text is lower-cased."""
    if not text:
        return []
    from pypinyin import lazy_pinyin

    return [t for piece in lazy_pinyin(text) for t in _TOKEN.findall(piece.lower())]

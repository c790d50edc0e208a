"""Noise on feed records at fixed rates: blank and mistyped ID numbers, name typos, duplicates.

Rates are per record, drawn for every record (background and planted) with the seeded
random stream; what was done to each record is kept as tags for the truth file.

A single wrong digit can never keep a GB 11643 check character valid (every weight is
non-zero mod 11), so ``id_wrong_digit`` records always fail the check. A share of the
mistyped records are ``id_other_valid``: a sequence digit changed and the check character
recomputed, as systems that "fix" the check do — a different, valid-looking ID number that
belongs to nobody in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import names
from minzheng.synth.ids import CHECK, WEIGHTS

ID_BLANK = 0.05
ID_WRONG_DIGIT = 0.01
ID_OTHER_VALID_SHARE = 0.2  # of the mistyped ID numbers
NAME_TYPO = 0.02
HOMOPHONE_SHARE = 0.7  # of the typos, where the character has a homophone in the pool
REDELIVERED = 0.01  # the same record (same key) sent twice
COPIED = 0.005  # the same content sent again under a new key

RATES = {
    "id_blank": ID_BLANK,
    "id_wrong_digit": ID_WRONG_DIGIT,
    "id_other_valid_share": ID_OTHER_VALID_SHARE,
    "name_typo": NAME_TYPO,
    "homophone_share": HOMOPHONE_SHARE,
    "redelivered": REDELIVERED,
    "copied": COPIED,
}
TAGS = ("id_blank", "id_wrong_digit", "id_other_valid", "name_homophone", "name_lookalike")
ID_BLANKED, ID_WRONG, ID_OTHER, NAME_HOMOPHONE, NAME_LOOKALIKE = (1 << i for i in range(5))

#: Look-alike characters clerks and OCR confuse (both directions are used).
LOOKALIKE_PAIRS = (
    "王玉 晴睛 梅悔 娟涓 辉晖 峰锋 萍苹 琪棋 杨扬 刘浏 戴载 俊浚 莉利 "
    "芳方 敏敛 燕雁 彤肜 睿叡 浩造 涵函 鑫金 琳淋 婷停 慧惠 军车 勇甬"
)


@dataclass
class Identity:
    """Identity columns of a batch after noise, and the tags of what was changed."""

    id_number: pa.Array
    name: pa.Array
    tags: np.ndarray  # int8 bit flags


def valid_check(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * int(wt) for c, wt in zip(number[:17], WEIGHTS, strict=True))
    return CHECK[total % 11] == number[17]


@lru_cache(maxsize=1)
def confusions() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(homophones, look-alikes) among the generator's name characters."""
    from pypinyin import Style, lazy_pinyin

    from minzheng.identity.names import SURNAME_PINYIN

    pool = sorted(
        {c for s in names.SURNAMES for c in s}
        | set(names.GIVEN_MALE_OLD + names.GIVEN_MALE_NEW)
        | set(names.GIVEN_FEMALE_OLD + names.GIVEN_FEMALE_NEW)
    )
    sound: dict[str, list[str]] = {}
    for c in pool:
        reading = SURNAME_PINYIN.get(c) or lazy_pinyin(c, style=Style.NORMAL)[0]
        sound.setdefault(reading, []).append(c)
    homophones = {c: [o for o in group if o != c] for group in sound.values() for c in group}
    looks: dict[str, list[str]] = {}
    for pair in LOOKALIKE_PAIRS.split():
        looks.setdefault(pair[0], []).append(pair[1])
        looks.setdefault(pair[1], []).append(pair[0])
    return {c: v for c, v in homophones.items() if v}, looks


def apply(
    rng: np.random.Generator, id_number: pa.Array, name: pa.Array, registry_ids: set[str]
) -> Identity:
    """Blank, mistype and misspell at the module rates (vectorised draws, loops on the few)."""
    n = len(id_number)
    has = pc.is_valid(id_number).to_numpy(zero_copy_only=False)
    u = rng.random(n)
    tags = np.zeros(n, dtype=np.int8)
    blank = has & (u < ID_BLANK)
    wrong = np.flatnonzero(has & (u >= ID_BLANK) & (u < ID_BLANK + ID_WRONG_DIGIT))
    typed = []
    for i, number in zip(wrong, id_number.take(pa.array(wrong)).to_pylist(), strict=True):
        out, tag = mistype(rng, number, registry_ids)
        typed.append(out)
        tags[i] |= tag
    tags[blank] |= ID_BLANKED
    ids = _replace(id_number, wrong, typed)
    ids = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), ids)
    typo = np.flatnonzero(rng.random(n) < NAME_TYPO)
    spelt = []
    for i, full in zip(typo, name.take(pa.array(typo)).to_pylist(), strict=True):
        out, tag = misspell(rng, full)
        spelt.append(out)
        tags[i] |= tag
    return Identity(ids, _replace(name, typo, spelt), tags)


def _replace(values: pa.Array, at: np.ndarray, new: list[str]) -> pa.Array:
    mask = np.zeros(len(values), dtype=bool)
    mask[at] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(new, pa.string()))


def mistype(rng: np.random.Generator, number: str, registry_ids: set[str]) -> tuple[str, int]:
    """One digit changed; for ID_OTHER_VALID_SHARE a sequence digit with a fresh check."""
    if rng.random() < ID_OTHER_VALID_SHARE:
        for _ in range(20):
            pos = int(rng.integers(14, 17))
            body = number[:pos] + _other_digit(rng, number[pos]) + number[pos + 1 : 17]
            total = sum(int(c) * int(wt) for c, wt in zip(body, WEIGHTS, strict=True))
            out = body + CHECK[total % 11]
            if out not in registry_ids:
                return out, ID_OTHER
    pos = int(rng.integers(0, 18))
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    choices = [c for c in alphabet if c != number[pos]]
    out = number[:pos] + choices[int(rng.integers(0, len(choices)))] + number[pos + 1 :]
    return out, ID_WRONG


def _other_digit(rng: np.random.Generator, digit: str) -> str:
    return str((int(digit) + int(rng.integers(1, 10))) % 10)


def misspell(rng: np.random.Generator, name: str) -> tuple[str, int]:
    """One character replaced by a homophone or a look-alike (none if the name has no
    character with either)."""
    homophones, looks = confusions()
    order = rng.permutation(len(name))
    want_sound = rng.random() < HOMOPHONE_SHARE
    for tables in (homophones, looks) if want_sound else (looks, homophones):
        for pos in order:
            options = tables.get(name[pos])
            if options:
                new = options[int(rng.integers(0, len(options)))]
                tag = NAME_HOMOPHONE if tables is homophones else NAME_LOOKALIKE
                return name[:pos] + new + name[pos + 1 :], tag
    return name, 0


def tag_names(tags: int) -> list[str]:
    return [t for i, t in enumerate(TAGS) if tags & (1 << i)]

"""GB 11643 citizen ID numbers, built vectorised.

18 characters: 6-digit address code (the hukou county, or for some older people a
county code retired since), 8-digit birth date, 3-digit sequence (odd for men) and an
ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from minzheng.synth.arrow import concat, digits, pick
from minzheng.synth.reference import Retired

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK = "10X98765432"
SEQ_PER_SEX = 500  # sequence numbers 000–999: even for women, odd for men
RETIRED_SHARE = 0.03
RETIRED_BORN_BEFORE = 2000


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 → (year, month, day) int64 arrays (proleptic Gregorian).

    Integer arithmetic (H. Hinnant's ``civil_from_days``): much faster than datetime64.
    """
    z = np.asarray(days, dtype=np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    year, month, day = ymd(days)
    return year * 10000 + month * 100 + day


def check_index(body: np.ndarray) -> np.ndarray:
    """Index into ``CHECK`` of the check character of 17-digit bodies (as int64)."""
    rest = np.asarray(body, dtype=np.int64).copy()
    total = np.zeros(len(rest), dtype=np.int64)
    for w in WEIGHTS[::-1]:
        total += (rest % 10) * w
        rest //= 10
    return total % 11


def id_strings(address: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> pa.Array:
    """The 18-character ID numbers."""
    body = address.astype(np.int64) * 10**11 + yyyymmdd(birth_days) * 1000 + seq
    return concat(digits(body, 17), pick(list(CHECK), check_index(body)))


def address_codes(
    rng: np.random.Generator,
    county: np.ndarray,
    birth_days: np.ndarray,
    retired: tuple[Retired, ...],
) -> np.ndarray:
    """Hukou county code per person; ~3% of those born before 2000 carry a retired code.

    A retired code is taken from the person's county (codes merged into it), else its
    prefecture, else the province, and only if it was still in use in the birth year.
    """
    code = county.astype(np.int64).copy()
    year = ymd(birth_days)[0]
    todo = np.flatnonzero((year < RETIRED_BORN_BEFORE) & (rng.random(len(code)) < RETIRED_SHARE))
    if not retired or not len(todo):
        return code
    r_code = np.array([int(r.code) for r in retired], dtype=np.int64)
    r_year = np.array([r.year for r in retired], dtype=np.int64)
    succ = np.array([int(r.successor or 0) for r in retired], dtype=np.int64)
    pref = np.array([int(r.prefecture) for r in retired], dtype=np.int64)
    province = r_code // 10**4
    for r_key, div in ((succ, 1), (pref, 100), (province, 10**4)):  # county, prefecture, province
        keep = r_key > 0
        got = _pick_retired(
            rng, r_key[keep], r_year[keep], r_code[keep], county[todo] // div, year[todo]
        )
        hit = got > 0
        code[todo[hit]] = got[hit]
        todo = todo[~hit]
    return code


def _pick_retired(
    rng: np.random.Generator,
    r_key: np.ndarray,
    r_year: np.ndarray,
    r_code: np.ndarray,
    p_key: np.ndarray,
    p_year: np.ndarray,
) -> np.ndarray:
    """For each person, a retired code with the same key used after the birth year (else 0)."""
    if not len(r_key) or not len(p_key):
        return np.zeros(len(p_key), dtype=np.int64)
    comp = r_key * 10000 + r_year
    order = np.argsort(comp, kind="stable")
    comp, codes = comp[order], r_code[order]
    lo = np.searchsorted(comp, p_key * 10000 + p_year, side="right")
    hi = np.searchsorted(comp, p_key * 10000 + 9999, side="right")
    n = hi - lo
    at = lo + (rng.random(len(lo)) * np.maximum(n, 1)).astype(np.int64)
    return np.where(n > 0, codes[np.minimum(at, len(codes) - 1)], 0)


def sequences(
    rng: np.random.Generator, address: np.ndarray, birth_days: np.ndarray, male: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Unique (address, birth date, sequence) for everyone: (sequence, birth_days).

    Within each (address, date, sex) group people get consecutive numbers from a random
    start; in the (very unlikely) case of more than 500 people in a group the extra
    ones are moved one day earlier and numbered again.
    """
    days = np.asarray(birth_days, dtype=np.int64).copy()
    male = np.asarray(male, dtype=np.int64)
    seq = np.zeros(len(days), dtype=np.int64)
    if not len(days):
        return seq, days
    while True:
        key = address * 10**9 + yyyymmdd(days) * 10 + male
        order = np.argsort(key, kind="stable")
        k = key[order]
        first = np.ones(len(k), dtype=bool)
        first[1:] = k[1:] != k[:-1]
        group = np.cumsum(first) - 1
        rank = np.arange(len(k)) - np.flatnonzero(first)[group]
        start = rng.integers(0, SEQ_PER_SEX, int(group[-1]) + 1)[group]
        seq[order] = ((start + rank) % SEQ_PER_SEX) * 2 + male[order]
        over = order[rank >= SEQ_PER_SEX]
        if not len(over):
            return seq, days
        days[over] -= 1

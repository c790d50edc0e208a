"""Personal traits: disability, health, self-care, labour capacity, schooling, phone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth.arrow import digits
from minzheng.synth.ids import ymd

# Disability categories 1–7 (视力 听力 言语 肢体 智力 精神 多重), national survey shares;
# children are more often intellectually disabled, adults more often physically.
DISABILITY_ADULT = np.array([0.149, 0.242, 0.015, 0.291, 0.067, 0.074, 0.162])
DISABILITY_CHILD = np.array([0.06, 0.12, 0.08, 0.20, 0.32, 0.07, 0.15])
GRADE_SHARES = np.array([0.15, 0.25, 0.28, 0.32])  # grades 1 (most severe) … 4
HEALTH = ["healthy", "chronic", "serious"]
LABOUR = ["full", "partial", "none"]
SCHOOLING = ["", "preschool", "primary", "junior", "senior", "vocational", "higher", "dropout"]
MOBILE_PREFIXES = np.array(
    [*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, *range(180, 190)]
)


@dataclass
class Traits:
    disability: np.ndarray  # 0 none, 1–7
    grade: np.ndarray  # 0 none, 1–4
    health: np.ndarray  # index into HEALTH
    self_care_failed: np.ndarray  # int8 0–6
    labour: np.ndarray  # index into LABOUR
    schooling: np.ndarray  # index into SCHOOLING


def full_years(birth_days: np.ndarray, as_of_days: int) -> np.ndarray:
    """Age in completed years on ``as_of``."""
    y, m, d = ymd(birth_days)
    ay, am, ad = (int(v[0]) for v in ymd(np.array([as_of_days])))
    return ay - y - ((m * 100 + d) > (am * 100 + ad))


def _categorical(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(probs)
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(probs) - 1)


def disability(rng: np.random.Generator, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(category 0/1–7, grade 0/1–4); prevalence rises with age (≈ 7% overall)."""
    n = len(age)
    p = 0.025 + 0.0016 * np.clip(age - 20, 0, 70)
    has = rng.random(n) < p
    cat = (
        np.where(
            age < 18, _categorical(rng, DISABILITY_CHILD, n), _categorical(rng, DISABILITY_ADULT, n)
        )
        + 1
    )
    grade = _categorical(rng, GRADE_SHARES, n) + 1
    return np.where(has, cat, 0), np.where(has, grade, 0)


def health(rng: np.random.Generator, age: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """0 healthy, 1 chronic (≈15%, rising with age), 2 serious (≈3%)."""
    serious = 0.008 + 0.0008 * np.clip(age - 30, 0, 60) + 0.06 * (grade > 0)
    chronic = 0.02 + 0.0055 * np.clip(age - 25, 0, 60)
    u = rng.random(len(age))
    return np.where(u < serious, 2, np.where(u < serious + chronic, 1, 0))


def self_care(
    rng: np.random.Generator, age: np.ndarray, grade: np.ndarray, hlth: np.ndarray
) -> np.ndarray:
    """Failed activities of daily living (0–6): mostly 0, more for the old and disabled."""
    by_grade = np.array([0.0, 0.55, 0.3, 0.08, 0.02])[grade]
    p = 0.003 + 0.02 * (age >= 70) + 0.06 * (age >= 80) + by_grade + 0.15 * (hlth == 2)
    return rng.binomial(6, np.minimum(p, 0.95)).astype(np.int8)


def labour(
    rng: np.random.Generator, age: np.ndarray, grade: np.ndarray, hlth: np.ndarray
) -> np.ndarray:
    """0 full, 1 partial, 2 none: none for children and most old or severely disabled."""
    u = rng.random(len(age))
    by_age = np.where(age < 16, 2, 0)
    by_age = np.where(age >= 60, np.where(u < 0.65, 2, np.where(u < 0.9, 1, 0)), by_age)
    by_age = np.where(age >= 70, np.where(u < 0.92, 2, 1), by_age)
    v = rng.random(len(age))
    by_dis = np.select(
        [grade == 1, grade == 2, grade == 3, grade == 4],
        [2, np.where(v < 0.8, 2, 1), np.where(v < 0.7, 1, 0), np.where(v < 0.4, 1, 0)],
        0,
    )
    by_health = np.select(
        [hlth == 2, hlth == 1], [np.where(v < 0.6, 2, 1), np.where(v < 0.3, 1, 0)], 0
    )
    return np.maximum(np.maximum(by_age, by_dis), by_health)


def schooling(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Index into SCHOOLING by age, with some dropouts from 12 on."""
    u = rng.random(len(age))
    conds = [
        (age >= 3) & (age < 6),
        (age >= 6) & (age < 12),
        (age >= 12) & (age < 15),
        (age >= 15) & (age < 18),
        (age >= 18) & (age < 22),
    ]
    picks = [
        np.where(u < 0.85, 1, 0),
        np.full(len(age), 2),
        np.where(u < 0.96, 3, 7),
        np.where(u < 0.5, 4, np.where(u < 0.88, 5, 7)),
        np.where(u < 0.35, 6, 0),
    ]
    return np.select(conds, picks, 0)


def traits(rng: np.random.Generator, age: np.ndarray) -> Traits:
    cat, grade = disability(rng, age)
    hlth = health(rng, age, grade)
    return Traits(
        cat,
        grade,
        hlth,
        self_care(rng, age, grade, hlth),
        labour(rng, age, grade, hlth),
        schooling(rng, age),
    )


def phones(rng: np.random.Generator, age: np.ndarray) -> pa.Array:
    """11-digit mobile numbers (13x/15x/18x) for adults, "" for children."""
    n = len(age)
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    number = digits(prefix * 10**8 + rng.integers(0, 10**8, n))
    return pc.if_else(pa.array(age >= 18), number, pa.scalar(""))

"""Household structure: sizes, members' roles, sex, ages, relationships and surnames.

Everything is drawn for all households at once; members of a household are contiguous
(head first, then spouse, children, grandchildren, parents of the head).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minzheng.synth.names import draw_surnames

# Low-income registries: many single elderly people and small households (mean ≈ 2.6).
SIZE_SHARES = np.array([0.30, 0.28, 0.17, 0.13, 0.07, 0.035, 0.01, 0.005])

HEAD, SPOUSE, CHILD, GRANDCHILD, PARENT = range(5)
# Relationship code (GB/T 4761) by role, female/male.
REL_CODES = ["02", "10", "20", "30", "41", "42", "43", "44", "51", "52"]
_REL_BY_ROLE = {HEAD: (0, 0), SPOUSE: (1, 1), CHILD: (3, 2), GRANDCHILD: (5, 4), PARENT: (9, 8)}

# Household classes and the head's age range (lo, hi) with a Beta(a, b) shape inside it.
SINGLE, COUPLE, WITH_CHILDREN, WITH_PARENTS, WITH_GRANDCHILDREN = range(5)
HEAD_AGE = np.array(
    [
        (18, 97, 3.0, 1.6),  # alone: many elderly (特困/五保) and disabled adults
        (22, 94, 3.2, 1.8),  # couple only, mostly elderly
        (22, 88, 2.8, 2.2),  # with children
        (25, 62, 2.6, 2.2),  # with an elderly parent
        (45, 88, 2.5, 2.0),  # with grandchildren (often skipping a generation)
    ]
)
MALE_HEAD = np.array([0.5, 0.8, 0.62, 0.6, 0.6])
DAYS_PER_YEAR = 365.2425


@dataclass
class Members:
    """Per-person arrays (length N) plus per-household sizes (length H)."""

    sizes: np.ndarray  # int64 (H,)
    hh: np.ndarray  # int64 household index per person
    role: np.ndarray  # int8
    male: np.ndarray  # bool
    birth_days: np.ndarray  # int64 days since 1970-01-01
    relationship: np.ndarray  # int8 index into REL_CODES
    surname: np.ndarray  # int16 index into the surname table


def household_sizes(rng: np.random.Generator, persons: int) -> np.ndarray:
    """Sizes summing to exactly ``persons`` (the last household is trimmed to fit)."""
    mean = float(np.dot(np.arange(1, len(SIZE_SHARES) + 1), SIZE_SHARES))
    chunks: list[np.ndarray] = []
    total = 0
    while total < persons:
        n = int((persons - total) / mean * 1.05) + 16
        chunk = rng.choice(len(SIZE_SHARES), size=n, p=SIZE_SHARES) + 1
        chunks.append(chunk)
        total += int(chunk.sum())
    sizes = np.concatenate(chunks).astype(np.int64)
    cum = np.cumsum(sizes)
    cut = int(np.searchsorted(cum, persons))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(cum[cut]) - persons
    return sizes


def composition(rng: np.random.Generator, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per household: (spouse, children, grandchildren, parents) counts."""
    n = len(sizes)
    rest = sizes - 1
    p_spouse = np.where(sizes == 2, 0.55, 0.7)
    spouse = ((rest >= 1) & (rng.random(n) < p_spouse)).astype(np.int64)
    rest = rest - spouse
    has_g = (rest >= 1) & (rng.random(n) < 0.15)
    grand = np.where(has_g, 1 + rng.binomial(np.maximum(rest - 1, 0), 0.5), 0)
    rest = rest - grand
    u = rng.random(n)
    parents = np.where(~has_g & (rest >= 1), (u < 0.12).astype(np.int64), 0)
    parents += (~has_g & (rest >= 2) & (u < 0.03)).astype(np.int64)
    children = rest - parents
    return spouse, children, grand, parents


def household_class(
    spouse: np.ndarray, children: np.ndarray, grand: np.ndarray, parents: np.ndarray
) -> np.ndarray:
    cls = np.full(len(spouse), SINGLE, dtype=np.int64)
    cls[spouse > 0] = COUPLE
    cls[children > 0] = WITH_CHILDREN
    cls[parents > 0] = WITH_PARENTS
    cls[grand > 0] = WITH_GRANDCHILDREN
    return cls


def roles(sizes: np.ndarray, counts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(household index, role) per person from the per-household counts."""
    spouse, children, grand, _ = counts
    hh = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.cumsum(sizes) - sizes
    pos = np.arange(len(hh)) - starts[hh]
    b_spouse = 1 + spouse[hh]
    b_child = b_spouse + children[hh]
    b_grand = b_child + grand[hh]
    role = np.full(len(hh), PARENT, dtype=np.int8)
    role[pos < b_grand] = GRANDCHILD
    role[pos < b_child] = CHILD
    role[pos < b_spouse] = SPOUSE
    role[pos == 0] = HEAD
    return hh, role


def ages(
    rng: np.random.Generator,
    cls: np.ndarray,
    hh: np.ndarray,
    role: np.ndarray,
    head_male: np.ndarray,
) -> np.ndarray:
    """Age in (fractional) years for everyone, relative to the head's age."""
    lo, hi, a, b = (HEAD_AGE[cls, i] for i in range(4))
    head_age = (lo + (hi - lo) * rng.beta(a, b))[hh]
    n = len(hh)
    u = rng.random(n)
    shift = np.where(head_male[hh], -2.0, 2.0)
    age = head_age.copy()
    sp = role == SPOUSE
    age[sp] = np.clip(head_age[sp] + shift[sp] + rng.normal(0.0, 3.0, n)[sp], 18.0, 100.0)
    ch = role == CHILD
    age[ch] = head_age[ch] - (20 + u[ch] * (np.minimum(head_age[ch], 40) - 20))
    gr = role == GRANDCHILD
    g_lo = np.maximum(40.0, head_age[gr] - 25.0)
    g_hi = np.maximum(g_lo, np.minimum(head_age[gr], 70.0))
    age[gr] = head_age[gr] - (g_lo + u[gr] * (g_hi - g_lo))
    pa_ = role == PARENT
    age[pa_] = np.minimum(head_age[pa_] + 20 + u[pa_] * 18, 102.0)
    return np.maximum(age, 0.0)


def sexes(
    rng: np.random.Generator,
    cls: np.ndarray,
    hh: np.ndarray,
    role: np.ndarray,
    sizes: np.ndarray,
    parents: np.ndarray,
) -> np.ndarray:
    """Male flag: spouses of opposite sex; two parents are the father then the mother."""
    head_male = rng.random(len(cls)) < MALE_HEAD[cls]
    u = rng.random(len(hh))
    male = u < 0.515
    gr = role == GRANDCHILD
    male[gr] = u[gr] < 0.53
    male[role == HEAD] = head_male
    sp = role == SPOUSE
    male[sp] = ~head_male[hh[sp]]
    par = np.flatnonzero(role == PARENT)
    hp = hh[par]
    from_end = np.cumsum(sizes)[hp] - 1 - par  # 0 for the household's last member
    male[par] = np.where(parents[hp] == 2, from_end == 1, u[par] < 0.35)
    return male


def relationships(rng: np.random.Generator, role: np.ndarray, male: np.ndarray) -> np.ndarray:
    """REL_CODES index per person; 1 in 4 grandchildren are a daughter's (外孙 43/44)."""
    table = np.array([_REL_BY_ROLE[r] for r in range(5)], dtype=np.int8)
    rel = table[role, male.astype(np.int64)]
    via_daughter = (role == GRANDCHILD) & (rng.random(len(role)) < 0.25)
    rel[via_daughter] += 2
    return rel


def surnames(
    rng: np.random.Generator,
    hh: np.ndarray,
    role: np.ndarray,
    male: np.ndarray,
    rel: np.ndarray,
    probs: np.ndarray,
) -> np.ndarray:
    """Surname index per person: children take the father's surname (usually)."""
    n_hh = int(hh[-1]) + 1
    s_head, s_spouse, s_other = (draw_surnames(rng, n_hh, probs) for _ in range(3))
    head_male = np.zeros(n_hh, dtype=bool)
    head_male[hh[role == HEAD]] = male[role == HEAD]
    has_spouse = np.zeros(n_hh, dtype=bool)
    has_spouse[hh[role == SPOUSE]] = True
    paternal = np.where(head_male, s_head, np.where(has_spouse, s_spouse, s_other))
    maternal = np.where(~head_male, s_head, np.where(has_spouse, s_spouse, s_other))
    out = draw_surnames(rng, len(hh), probs)  # spouses' kin, daughters' children, mothers
    out[role == HEAD] = s_head[hh[role == HEAD]]
    out[role == SPOUSE] = s_spouse[hh[role == SPOUSE]]
    child = role == CHILD
    mother_line = rng.random(len(hh)) < 0.08
    out[child] = np.where(mother_line, maternal[hh], paternal[hh])[child]
    sons_child = (role == GRANDCHILD) & ((rel == 4) | (rel == 5))
    out[sons_child] = paternal[hh[sons_child]]
    father = (role == PARENT) & male
    out[father] = s_head[hh[father]]
    return out


def members(rng: np.random.Generator, persons: int, as_of_days: int, probs: np.ndarray) -> Members:
    """Draw all households and their members."""
    sizes = household_sizes(rng, persons)
    counts = composition(rng, sizes)
    cls = household_class(*counts)
    hh, role = roles(sizes, counts)
    male = sexes(rng, cls, hh, role, sizes, counts[3])
    head_male = male[role == HEAD]
    age = ages(rng, cls, hh, role, head_male)
    days = np.floor(age * DAYS_PER_YEAR).astype(np.int64) + 1
    rel = relationships(rng, role, male)
    sur = surnames(rng, hh, role, male, rel, probs)
    return Members(sizes, hh, role, male, as_of_days - days, rel, sur)

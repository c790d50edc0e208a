"""Monthly incomes per person and assets per household, in integer fen (never floats)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INCOME_KINDS = ["wage", "business", "property", "transfer"]
ASSET_KINDS = ["financial", "home", "vehicle", "business"]
IN_SCHOOL = (1, 2, 3, 4, 5, 6)  # traits.SCHOOLING indexes of pupils and students
FEN = 100


@dataclass
class Rows:
    """Long-format rows: owner index (person or household), kind index, amount, quantity."""

    owner: np.ndarray
    kind: np.ndarray
    fen: np.ndarray
    quantity: np.ndarray


def _yuan(
    rng: np.random.Generator, median: float, sigma: float, n: int, step: int = 1
) -> np.ndarray:
    """Log-normal amounts in fen, rounded to ``step`` fen."""
    fen = rng.lognormal(np.log(median * FEN), sigma, n)
    return (np.rint(fen / step) * step).astype(np.int64)


def _rows(parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]) -> Rows:
    owner = np.concatenate([p[0] for p in parts]).astype(np.int64)
    kind = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int8) for p in parts])
    fen = np.concatenate([p[2] for p in parts]).astype(np.int64)
    qty = np.concatenate([p[3] for p in parts]).astype(np.int32)
    order = np.lexsort((kind, owner))
    return Rows(owner[order], kind[order], fen[order], qty[order])


def incomes(
    rng: np.random.Generator,
    age: np.ndarray,
    labour: np.ndarray,
    schooling: np.ndarray,
    grade: np.ndarray,
    urban: np.ndarray,
) -> Rows:
    """Wage/business/property/transfer rows for the persons who have them."""
    n = len(age)
    u = rng.random((3, n))
    studying = np.isin(schooling, IN_SCHOOL)
    able = (labour < 2) & (age >= 16) & ~studying
    wage = np.flatnonzero(able & (age < 65) & (u[0] < np.where(labour == 0, 0.62, 0.35)))
    wage_fen = _yuan(rng, 1300, 0.75, len(wage), FEN)
    wage_fen[rng.random(len(wage)) < 0.04] = 0  # no work this month
    biz = np.flatnonzero(able & (age < 70) & (u[1] < np.where(urban, 0.05, 0.1)))
    prop = np.flatnonzero((age >= 18) & (u[2] < 0.03))
    tr_fen = _transfers(rng, age, grade, urban)
    transfer = np.flatnonzero(tr_fen > 0)
    one = np.ones
    return _rows(
        [
            (wage, 0, wage_fen, one(len(wage))),
            (biz, 1, _yuan(rng, 1200, 0.9, len(biz)), one(len(biz))),
            (prop, 2, _yuan(rng, 250, 0.8, len(prop)), one(len(prop))),
            (transfer, 3, tr_fen[transfer], one(len(transfer))),
        ]
    )


def _transfers(
    rng: np.random.Generator, age: np.ndarray, grade: np.ndarray, urban: np.ndarray
) -> np.ndarray:
    """Pensions for the old, disability allowances, a few child/other benefits (fen, 0 = none)."""
    n = len(age)
    u = rng.random(n)
    worker = urban & (rng.random(n) < 0.25)
    pension = np.where(worker, _yuan(rng, 2600, 0.35, n, FEN), _yuan(rng, 200, 0.35, n, FEN))
    out = np.where((age >= 60) & (u < 0.88), pension, 0)
    child = (age < 18) & (u < 0.06)
    out = np.where(child, _yuan(rng, 600, 0.6, n, FEN), out)
    other = (age >= 18) & (age < 60) & (u < 0.05)
    out = np.where(other, _yuan(rng, 300, 0.7, n, FEN), out)
    allowance = np.where(grade > 0, np.where(grade <= 2, 200, 100) * FEN, 0)
    return (out + allowance * (rng.random(n) < 0.6)).astype(np.int64)


def assets(rng: np.random.Generator, sizes: np.ndarray, urban: np.ndarray) -> Rows:
    """Savings (most households, heavy tail), homes 0–2, a few vehicles, rare businesses."""
    h = len(sizes)
    u = rng.random((4, h))
    fin = np.flatnonzero(u[0] < 0.88)
    fin_fen = _yuan(rng, 3000, 1.6, h) * np.sqrt(sizes)
    fin_fen = np.minimum(fin_fen.astype(np.int64), 2_000_000 * FEN)[fin]
    homes_n = np.searchsorted([0.18, 0.92], u[1], side="right")
    home = np.flatnonzero(homes_n > 0)
    per_home = np.where(
        urban, _yuan(rng, 350_000, 0.6, h, 100 * FEN), _yuan(rng, 90_000, 0.6, h, 100 * FEN)
    )
    car = np.flatnonzero(u[2] < 0.07)
    cars_n = 1 + (rng.random(len(car)) < 0.1)
    biz = np.flatnonzero(u[3] < 0.025)
    return _rows(
        [
            (fin, 0, fin_fen, 1 + rng.poisson(0.5, len(fin))),
            (home, 1, (per_home * homes_n)[home], homes_n[home]),
            (car, 2, _yuan(rng, 25_000, 0.9, len(car), FEN) * cars_n, cars_n),
            (biz, 3, _yuan(rng, 50_000, 1.0, len(biz), 1000 * FEN), np.ones(len(biz))),
        ]
    )

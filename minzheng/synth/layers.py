"""Programme layers of generated households (低保, 特困, 低保边缘, other), derived, never drawn.

The generator draws incomes, not programme decisions; the layer follows from them with the
national default standards (the assistance catalogue's synthetic defaults, monthly fen):

* ``tekun`` — a one-person household without labour capacity whose monthly income is
  below the standard;
* ``dibao`` — any other household whose total monthly income is below
  ``standard × size`` (every eligible household is enrolled: no take-up gap);
* ``bianyuan`` — below ``MARGINAL_PCT``% of that;
* ``other`` — the rest.

"Low-income household" (the monitored layers) means dibao, tekun or bianyuan. The
function is pure and needs no random numbers, so anyone holding the population files
(a rule writer, a loader of enrolments) gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.compute as pc

if TYPE_CHECKING:
    from minzheng.synth.generate import Population

LAYERS = ("dibao", "tekun", "bianyuan", "other")
DIBAO, TEKUN, BIANYUAN, OTHER = range(4)
LOW_INCOME = (DIBAO, TEKUN, BIANYUAN)
#: Monthly dibao standard in fen by urban flag (catalogue defaults dibao_urban_fen,
#: dibao_rural_fen: national averages, Q3 2021).
DIBAO_STANDARD_FEN = {True: 70660, False: 52490}
MARGINAL_PCT = 150


@dataclass
class Layers:
    """Per household and per person arrays (indexes are table row positions)."""

    layer: np.ndarray  # int8 (H,) index into LAYERS
    size: np.ndarray  # int64 (H,)
    urban: np.ndarray  # bool (H,)
    standard_fen: np.ndarray  # int64 (H,) monthly dibao standard
    income_fen: np.ndarray  # int64 (H,) total monthly registry income
    hh: np.ndarray  # int64 (N,) household row of each person
    position: np.ndarray  # int64 (N,) 0 = first member (the head)
    person_income_fen: np.ndarray  # int64 (N,) all kinds
    person_wage_fen: np.ndarray  # int64 (N,) registry wage only

    def low_income(self) -> np.ndarray:
        """Households in a monitored layer (dibao, tekun, bianyuan)."""
        return np.isin(self.layer, LOW_INCOME)


def household_layers(pop: Population) -> Layers:
    """The layer of every household of ``pop`` (see the module docstring)."""
    hh_ref = pop.households.column("household_ref").combine_chunks()
    hh = pc.index_in(pop.persons.column("household_ref"), value_set=hh_ref).to_numpy()
    hh = hh.astype(np.int64)
    n_hh, n = pop.households.num_rows, pop.persons.num_rows
    size = np.bincount(hh, minlength=n_hh).astype(np.int64)
    position = np.arange(n) - (np.cumsum(size) - size)[hh]
    owner = pop.incomes.column("person_key").to_numpy()
    fen = pop.incomes.column("monthly_fen").to_numpy()
    wage = pc.equal(pop.incomes.column("kind"), "wage").to_numpy(zero_copy_only=False)
    person_income = np.bincount(owner, weights=fen, minlength=n).astype(np.int64)
    person_wage = np.bincount(owner[wage], weights=fen[wage], minlength=n).astype(np.int64)
    income = np.bincount(hh, weights=person_income, minlength=n_hh).astype(np.int64)
    urban = pop.households.column("urban").to_numpy(zero_copy_only=False).astype(bool)
    standard = np.where(urban, DIBAO_STANDARD_FEN[True], DIBAO_STANDARD_FEN[False])
    no_labour = pc.equal(pop.persons.column("labour_capacity"), "none").to_numpy(
        zero_copy_only=False
    )
    alone_unable = (size == 1) & (np.bincount(hh, weights=no_labour, minlength=n_hh) > 0)
    layer = np.full(n_hh, OTHER, dtype=np.int8)
    layer[income * 100 < standard * size * MARGINAL_PCT] = BIANYUAN
    layer[income < standard * size] = DIBAO
    layer[(income < standard) & alone_unable] = TEKUN
    return Layers(layer, size, urban, standard, income, hh, position, person_income, person_wage)

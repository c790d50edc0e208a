"""Building blocks of the synthetic feeds: the people behind records, row batches, dates.

Every feed row points at a row of :class:`People`: the registry persons first (in the
order of the persons table), then the people outside the registry that some medical
records belong to. Identity columns (ID number, name, sex, birth date) are filled from
there when the files are written, after the noise has been applied.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import ids, names
from minzheng.synth.arrow import concat, digits

if TYPE_CHECKING:
    from minzheng.synth.generate import Population
    from minzheng.synth.layers import Layers

EPOCH = dt.date(1970, 1, 1)


def day_of(date: dt.date) -> int:
    return (date - EPOCH).days


def months_back(date: dt.date, months: int) -> dt.date:
    """``date`` minus whole calendar months, the day clipped to the month's end."""
    year, month0 = divmod(date.year * 12 + date.month - 1 - months, 12)
    day = min(date.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def month_starts(as_of: dt.date, months: int) -> np.ndarray:
    """First days (day numbers) of the ``months`` calendar months ending with as_of's month."""
    first = as_of.replace(day=1)
    return np.array([day_of(months_back(first, k)) for k in range(months - 1, -1, -1)])


def date_text(days: np.ndarray, *, month: bool = False) -> pa.Array:
    """Day numbers → "YYYY-MM-DD" (or "YYYY-MM")."""
    y, m, d = ids.ymd(np.asarray(days, dtype=np.int64))
    parts: list[Any] = [digits(y, 4), "-", digits(m, 2)]
    if not month:
        parts += ["-", digits(d, 2)]
    return concat(*parts)


@dataclass
class People:
    """Everyone a record can belong to: registry persons, then outsiders."""

    id_number: pa.Array  # nullable
    name: pa.Array
    male: np.ndarray
    birth_days: np.ndarray
    county: pa.Array  # 6 digits (hukou county)
    township: pa.Array  # 9 digits (residence township)
    ref: pa.Array  # "H440106-0000001#0", null for outsiders
    hh: np.ndarray  # household row, -1 for outsiders
    registry: int  # number of registry persons (rows [0, registry))
    age: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def outsiders(self) -> np.ndarray:
        return np.arange(self.registry, len(self.hh))


def person_refs(pop: Population, layers: Layers) -> pa.Array:
    """The person identifier used in truth.json: household ref, "#", member position."""
    return concat(
        pop.persons.column("household_ref").combine_chunks(), "#", digits(layers.position)
    )


def people(rng: np.random.Generator, pop: Population, layers: Layers, outsiders: int) -> People:
    """The registry persons plus ``outsiders`` invented people of the same counties."""
    p = pop.persons
    as_of = day_of(pop.as_of)
    birth = p.column("birth_date").cast(pa.int32()).to_numpy().astype(np.int64)
    male = pc.equal(p.column("sex"), "1").to_numpy(zero_copy_only=False)
    county = pc.utf8_slice_codeunits(p.column("hukou_division"), 0, 6).combine_chunks()
    town = pc.utf8_slice_codeunits(p.column("residence_division"), 0, 9).combine_chunks()
    out = _outsiders(rng, pop, outsiders, county, town)
    n = p.num_rows
    return People(
        id_number=pa.concat_arrays([p.column("id_number").combine_chunks(), out["id"]]),
        name=pa.concat_arrays([p.column("name").combine_chunks(), out["name"]]),
        male=np.concatenate([male, out["male"]]),
        birth_days=np.concatenate([birth, out["birth"]]),
        county=pa.concat_arrays([county, out["county"]]),
        township=pa.concat_arrays([town, out["town"]]),
        ref=pa.concat_arrays([person_refs(pop, layers), pa.nulls(outsiders, pa.string())]),
        hh=np.concatenate([layers.hh, np.full(outsiders, -1, dtype=np.int64)]),
        registry=n,
        age=(as_of - np.concatenate([birth, out["birth"]])) / 365.2425,
    )


def _outsiders(
    rng: np.random.Generator, pop: Population, n: int, county: pa.Array, town: pa.Array
) -> dict[str, Any]:
    """People of the same counties who are not in the registry (valid, unused ID numbers)."""
    m = 2 * n + 8
    where = rng.integers(0, pop.persons.num_rows, m)  # borrow a place, not an identity
    birth = day_of(pop.as_of) - rng.integers(365, 90 * 365, m)
    male = rng.random(m) < 0.5
    address = np.array([int(c) for c in county.take(pa.array(where)).to_pylist()])
    seq = rng.integers(0, 500, m) * 2 + male
    number = ids.id_strings(address, birth, seq)
    taken = pc.is_in(number, value_set=pop.persons.column("id_number").combine_chunks())
    _, first = np.unique(np.asarray(number.to_pylist()), return_index=True)
    unique = np.zeros(m, dtype=bool)
    unique[first] = True
    keep = np.flatnonzero(~taken.to_numpy(zero_copy_only=False) & unique)[:n]
    surnames, probs = names.surname_table(pop.province)
    sur = names.draw_surnames(rng, m, probs)
    given = names.given_names(rng, male, ids.ymd(birth)[0])
    full = names.full_names(surnames, sur, given)
    take = pa.array(keep)
    return {
        "id": number.take(take),
        "name": full.take(take),
        "male": male[keep],
        "birth": birth[keep],
        "county": county.take(pa.array(where[keep])),
        "town": town.take(pa.array(where[keep])),
    }


@dataclass
class Batch:
    """Rows of one feed kind: who, when, which planted event (-1 none), kind columns."""

    who: np.ndarray
    day: np.ndarray
    cols: dict[str, pa.Array]
    event: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.who = np.asarray(self.who, dtype=np.int64)
        self.day = np.asarray(self.day, dtype=np.int64)
        if self.event is None:
            self.event = np.full(len(self.who), -1, dtype=np.int64)
        self.cols = {k: _arrow(v, len(self.who)) for k, v in self.cols.items()}

    def __len__(self) -> int:
        return len(self.who)

    def take(self, idx: np.ndarray) -> Batch:
        at = pa.array(np.asarray(idx, dtype=np.int64))
        assert self.event is not None
        return Batch(
            self.who[idx],
            self.day[idx],
            {k: v.take(at) for k, v in self.cols.items()},
            self.event[idx],
        )


def _arrow(value: Any, n: int) -> pa.Array:
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        return value
    if isinstance(value, str | int) or value is None:
        return pa.array([value] * n)
    return pa.array(value)


def concat_batches(batches: list[Batch]) -> Batch:
    """One batch from many (columns missing from a batch are null there)."""
    batches = [b for b in batches if len(b)]
    if not batches:
        return Batch(np.zeros(0), np.zeros(0), {})
    keys = list(dict.fromkeys(k for b in batches for k in b.cols))
    cols: dict[str, pa.Array] = {}
    for k in keys:
        typ = next(b.cols[k].type for b in batches if k in b.cols)
        cols[k] = pa.concat_arrays(
            [b.cols[k].cast(typ) if k in b.cols else pa.nulls(len(b), typ) for b in batches]
        )
    events = [b.event for b in batches if b.event is not None]
    return Batch(
        np.concatenate([b.who for b in batches]),
        np.concatenate([b.day for b in batches]),
        cols,
        np.concatenate(events),
    )

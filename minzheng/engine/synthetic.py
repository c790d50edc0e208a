"""Engine inputs from a synthetic population, without a database (tests and benchmarks).

:func:`population_tables` turns :func:`minzheng.synth.generate` output into the
snapshot tables (surrogate keys, division keys) in vectorised Arrow; :func:`feed`
draws department feed rows (three per person by default) for monitoring rules.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from minzheng.engine import catalog

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.synth import Population


def division_table(codes: Any) -> tuple[pa.Table, dict[str, int]]:
    """A division table holding ``codes`` (any length) and their ancestors; and code → key."""
    import pyarrow as pa

    full: set[str] = set()
    for code in codes:
        for n in (2, 4, 6, 9, 12):
            if len(code) >= n and code[:n].strip("0"):
                full.add(code[:n].ljust(12, "0"))
    ordered = sorted(full)
    sk = {c: i + 1 for i, c in enumerate(ordered)}
    table = pa.table(
        {
            "division_sk": list(sk.values()),
            "code": ordered,
            "level": [_level(c) for c in ordered],
            "parent_sk": [sk.get(_parent(c)) for c in ordered],
            "name": ordered,
        },
        schema=catalog.DIVISION.arrow_schema(),
    )
    return table, sk


def _level(code: str) -> int:
    significant = len(code.rstrip("0"))
    return next((lv for lv, n in ((1, 2), (2, 4), (3, 6), (4, 9)) if significant <= n), 5)


def _parent(code: str) -> str:
    n = {1: 0, 2: 2, 3: 4, 4: 6, 5: 9}[_level(code)]
    return code[:n].ljust(12, "0") if n else ""


def population_tables(pop: Population) -> dict[str, pa.Table]:
    """The snapshot tables of a generated population (keys are row positions + 1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hh, persons = pop.households, pop.persons
    codes = pc.unique(
        pa.chunked_array(
            [
                *hh.column("hukou_division").chunks,
                *persons.column("hukou_division").chunks,
                *persons.column("residence_division").chunks,
            ]
        )
    ).to_pylist()
    division, sk = division_table(codes)
    code_list = pa.array(list(sk), pa.string())
    key_list = pa.array(list(sk.values()), pa.int64())

    def div_sk(col: Any) -> Any:
        return key_list.take(pc.index_in(col, value_set=code_list))

    def hh_sk(col: Any) -> Any:
        return pc.add(
            pc.index_in(col, value_set=hh.column("household_ref").combine_chunks()).cast(
                pa.int64()
            ),
            1,
        )

    person_sk = pc.add(persons.column("person_key"), 1)
    tables = {
        "division": division,
        "household": pa.table(
            {
                "household_sk": pa.array(range(1, hh.num_rows + 1), pa.int64()),
                "ref": hh.column("household_ref"),
                "hukou_division_sk": div_sk(hh.column("hukou_division")),
                "residence_division_sk": div_sk(hh.column("residence_division")),
                "urban": hh.column("urban"),
                "head_sk": pc.add(hh.column("head_person_key"), 1),
            }
        ),
        "person": _persons(persons, person_sk, hh_sk, div_sk),
        "income": pa.table(
            {
                "person_sk": pc.add(pop.incomes.column("person_key"), 1),
                "kind": pop.incomes.column("kind"),
                "monthly_fen": pop.incomes.column("monthly_fen"),
            }
        ),
        "asset": pa.table(
            {
                "household_sk": hh_sk(pop.assets.column("household_ref")),
                "person_sk": pa.nulls(pop.assets.num_rows, pa.int64()),
                "kind": pop.assets.column("kind"),
                "value_fen": pop.assets.column("value_fen"),
                "quantity": pop.assets.column("quantity").cast(pa.int64()),
            }
        ),
    }
    return {n: t.cast(catalog.REGISTRY[n].arrow_schema()) for n, t in tables.items()}


def _persons(persons: pa.Table, person_sk: Any, hh_sk: Any, div_sk: Any) -> pa.Table:
    import pyarrow as pa

    cols = {
        "person_sk": person_sk,
        "household_sk": hh_sk(persons.column("household_ref")),
        "hukou_division_sk": div_sk(persons.column("hukou_division")),
        "residence_division_sk": div_sk(persons.column("residence_division")),
        "self_care_failed": persons.column("self_care_failed").cast(pa.int64()),
    }
    names = list(catalog.PERSON.columns)
    return pa.table(
        [cols.get(n, persons.column(n) if n in persons.column_names else None) for n in names],
        names=names,
    )


def feed(
    persons: pa.Table,
    *,
    as_of: dt.date,
    per_person: int = 3,
    seed: int = 0,
    days: int = 540,
) -> pa.Table:
    """``per_person`` medical-settlement rows per person over the ``days`` before ``as_of``.

    Columns: person_sk, settled_on, amount_fen (integer fen, heavy-tailed), kind
    ("self_pay" about two rows in three, else "insured").
    """
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    sks = np.repeat(persons.column("person_sk").to_numpy(), per_person)
    n = sks.size
    offsets = rng.integers(0, days, n)
    settled = (np.datetime64(as_of.isoformat()) - offsets.astype("timedelta64[D]")).astype(
        "datetime64[D]"
    )
    amount = np.round(rng.lognormal(mean=10.0, sigma=1.2, size=n)).astype(np.int64)
    kinds = pa.array(np.where(rng.random(n) < 0.67, "self_pay", "insured"))
    return pa.table(
        {
            "person_sk": pa.array(sks, pa.int64()),
            "settled_on": pa.array(settled, pa.date32()),
            "amount_fen": pa.array(amount, pa.int64()),
            "kind": kinds,
        }
    )

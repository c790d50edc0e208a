"""Assemble the four tables from the drawing modules (heavy imports live here)."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import economy, geography, households, ids, names, reference, traits
from minzheng.synth.arrow import concat, digits, pick

MISSING_ID = 0.005
UNREGISTERED = 0.002  # newborns (age < 1) without hukou registration yet
ID_STATUS = ["valid", "missing", "unregistered"]
EPOCH = dt.date(1970, 1, 1)

HOUSEHOLDS = pa.schema(
    [
        ("household_ref", pa.string()),
        ("hukou_division", pa.string()),
        ("residence_division", pa.string()),
        ("address", pa.string()),
        ("urban", pa.bool_()),
        ("head_person_key", pa.int64()),
    ]
)
PERSONS = pa.schema(
    [
        ("person_key", pa.int64()),
        ("household_ref", pa.string()),
        ("name", pa.string()),
        ("id_number", pa.string()),
        ("id_status", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("relationship", pa.string()),
        ("hukou_division", pa.string()),
        ("residence_division", pa.string()),
        ("urban", pa.bool_()),
        ("address", pa.string()),
        ("labour_capacity", pa.string()),
        ("disability_category", pa.string()),
        ("disability_grade", pa.string()),
        ("self_care_failed", pa.int8()),
        ("health", pa.string()),
        ("schooling", pa.string()),
        ("phone", pa.string()),
    ]
)
INCOMES = pa.schema(
    [("person_key", pa.int64()), ("kind", pa.string()), ("monthly_fen", pa.int64())]
)
ASSETS = pa.schema(
    [
        ("household_ref", pa.string()),
        ("kind", pa.string()),
        ("value_fen", pa.int64()),
        ("quantity", pa.int32()),
    ]
)


@dataclass
class Tables:
    households: pa.Table
    persons: pa.Table
    incomes: pa.Table
    assets: pa.Table
    counties: list[str]


class Streams:
    """One independent random stream per concern, derived from the seed and province.

    Separate streams keep a change in one concern (say, addresses) from reshuffling
    everything else drawn for the same seed.
    """

    def __init__(self, seed: int, province: str) -> None:
        self.entropy = [seed, int(province)]

    def __getitem__(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode())
        return np.random.default_rng(np.random.SeedSequence([*self.entropy, key]))


def build(
    persons: int, province: str, counties: list[str] | None, seed: int, as_of: dt.date
) -> Tables:
    rng = Streams(seed, province)
    today = (as_of - EPOCH).days
    geo = geography.load(rng["geography"], province, counties)
    surnames, probs = names.surname_table(province)
    m = households.members(rng["households"], persons, today, probs)
    where = geography.place(rng["placement"], geo, len(m.sizes))
    status = id_status(rng["status"], traits.full_years(m.birth_days, today))
    id_number = identify(rng["ids"], geo, where, m, status, province)
    age = traits.full_years(m.birth_days, today)
    hh = household_table(rng["addresses"], geo, where, m.sizes)
    tr = traits.traits(rng["traits"], age)
    given = names.given_names(rng["names"], m.male, ids.ymd(m.birth_days)[0])
    name = names.full_names(surnames, m.surname, given)
    phone = traits.phones(rng["phones"], age)
    people = person_table(m, hh, tr, status, id_number, name, phone)
    urban = where.urban[m.hh]
    inc = economy.incomes(rng["incomes"], age, tr.labour, tr.schooling, tr.grade, urban)
    ast = economy.assets(rng["assets"], m.sizes, where.urban)
    hh_ref = hh.column("household_ref").combine_chunks()
    return Tables(hh, people, income_table(inc), asset_table(ast, hh_ref), geo.codes)


def household_table(
    rng: np.random.Generator, geo: geography.Geo, where: geography.Placement, sizes: np.ndarray
) -> pa.Table:
    columns = [
        household_refs(geo, where.county),
        pick(geo.tw_code, where.hukou),
        pick(geo.tw_code, where.residence),
        geography.addresses(rng, geo, where),
        pa.array(where.urban),
        pa.array(np.cumsum(sizes) - sizes),
    ]
    return pa.Table.from_arrays(columns, schema=HOUSEHOLDS)


def id_status(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """0 valid, 1 missing (~0.5%), 2 unregistered newborn (~0.2% of everyone)."""
    n = len(age)
    infant = age < 1
    p_unreg = min(1.0, UNREGISTERED * n / max(1, int(infant.sum())))
    u = rng.random(n)
    status = np.where(u < MISSING_ID, 1, 0)
    return np.where(infant & (rng.random(n) < p_unreg), 2, status)


def identify(
    rng: np.random.Generator,
    geo: geography.Geo,
    where: geography.Placement,
    m: households.Members,
    status: np.ndarray,
    province: str,
) -> pa.Array:
    """ID numbers (null unless valid); may move a birth date a day to keep IDs unique."""
    county = np.array([int(c) for c in geo.codes], dtype=np.int64)[where.county][m.hh]
    address = ids.address_codes(rng, county, m.birth_days, reference.retired_codes(province))
    has = np.flatnonzero(status == 0)
    seq, days = ids.sequences(rng, address[has], m.birth_days[has], m.male[has])
    m.birth_days[has] = days
    numbers = ids.id_strings(address[has], days, seq)
    slot = np.zeros(len(status), dtype=np.int64)
    slot[has] = np.arange(len(has))
    return numbers.take(pa.array(slot, mask=status != 0))


def household_refs(geo: geography.Geo, county: np.ndarray) -> pa.Array:
    """Refs like H440106-0000001: county, then a number within the county.

    Households are ordered by county, so the number is the position in the county's run.
    """
    first = np.searchsorted(county, np.arange(len(geo.codes)))
    number = np.arange(len(county)) - first[county] + 1
    return concat("H", pick(geo.codes, county), "-", digits(number, 7))


def person_table(
    m: households.Members,
    hh: pa.Table,
    tr: traits.Traits,
    status: np.ndarray,
    id_number: pa.Array,
    name: pa.Array,
    phone: pa.Array,
) -> pa.Table:
    take = pa.array(m.hh)
    cols = {c: hh.column(c).take(take) for c in HOUSEHOLDS.names[:5]}
    grade_or_cat = [""] + [str(i) for i in range(1, 8)]
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(len(m.hh), dtype=np.int64)),
            cols["household_ref"],
            name,
            id_number,
            pick(ID_STATUS, status),
            pick(["2", "1"], m.male.astype(np.int64)),
            pa.array(m.birth_days.astype(np.int32), pa.int32()).cast(pa.date32()),
            pick(households.REL_CODES, m.relationship),
            cols["hukou_division"],
            cols["residence_division"],
            cols["urban"],
            cols["address"],
            pick(traits.LABOUR, tr.labour),
            pick(grade_or_cat, tr.disability),
            pick(grade_or_cat, tr.grade),
            pa.array(tr.self_care_failed, pa.int8()),
            pick(traits.HEALTH, tr.health),
            pick(traits.SCHOOLING, tr.schooling),
            phone,
        ],
        schema=PERSONS,
    )


def income_table(rows: economy.Rows) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array(rows.owner),
            pick(economy.INCOME_KINDS, rows.kind),
            pa.array(rows.fen),
        ],
        schema=INCOMES,
    )


def asset_table(rows: economy.Rows, hh_ref: pa.Array) -> pa.Table:
    return pa.Table.from_arrays(
        [
            hh_ref.take(pa.array(rows.owner)),
            pick(economy.ASSET_KINDS, rows.kind),
            pa.array(rows.fen),
            pa.array(rows.quantity, pa.int32()),
        ],
        schema=ASSETS,
    )


def import_table(persons: pa.Table, incomes: pa.Table) -> pa.Table:
    """The persons in the registry import layout (column keys; headers are added later)."""
    from minzheng.synth.arrow import fen_to_yuan

    total = np.zeros(persons.num_rows, dtype=np.int64)
    np.add.at(
        total, incomes.column("person_key").to_numpy(), incomes.column("monthly_fen").to_numpy()
    )
    col = persons.column
    return pa.table(
        {
            "household_ref": col("household_ref"),
            "name": col("name"),
            "id_number": pc.fill_null(col("id_number"), ""),
            "relationship": col("relationship"),
            "hukou_division": pc.utf8_slice_codeunits(col("hukou_division"), 0, 9),
            "residence_division": pc.utf8_slice_codeunits(col("residence_division"), 0, 9),
            "address": col("address"),
            "urban_rural": pc.if_else(col("urban"), "城镇", "农村"),
            "monthly_income": fen_to_yuan(total),
            "disability_category": col("disability_category"),
            "disability_grade": col("disability_grade"),
            "labour_capacity": col("labour_capacity"),
            "phone": col("phone"),
        }
    )

"""Synthetic department feed rows with known truth, for linkage tests and benchmarks.

Rows are drawn from a :func:`minzheng.synth.generate` person table (never real
data) and damaged the way department extracts are: ID numbers missing or with one
digit changed, a given-name character replaced by a homophone (同音字) or by
another character, day and month swapped or a day off, a county-level division
instead of the township, and rows for people the registry does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

RIGHT_COLUMNS = [
    "person_key",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "hukou_division",
    "residence_division",
    "address",
]
# Common name characters beyond the generator's pools, so most characters have a homophone.
_EXTRA_CHARS = (
    "伟玮炜卫维薇军君钧俊骏芳方坊丽莉立力利静敬婧靖敏民闽明鸣铭名建健剑坚国帼华桦骅玲琳林麟"
    "霞侠梅美媚红宏鸿洪虹辉慧惠晖卉杰洁婕捷颖英莹盈瑛宇雨语玉羽钰涵寒晗含韩轩萱宣璇怡一依宜仪"
    "思斯丝诗娴贤弦欣馨心新鑫昕婷亭庭霆婷琪琦祺奇淇佳嘉家珈晨辰琛臣浩昊皓豪好博波柏泽则择哲"
    "喆然冉睿瑞锐蕊梓子紫姿晓小筱笑雪学薛瑶遥尧姚媛元园源远悦月越岳乐彤桐童同妍研岩言燕艳雁"
)


@dataclass
class Feed:
    """Feed rows (``record_id, id_number, name, sex, birth_date, division_code``) and truth."""

    rows: pa.Table
    truth: pa.Array  # person_key of each row, null for people outside the registry


def right_table(persons: pa.Table) -> pa.Table:
    """The registry side: the person columns linkage reads."""
    return persons.select(RIGHT_COLUMNS)


def feed_rows(
    persons: pa.Table,
    *,
    rows_per_person: float = 3.0,
    missing_id: float = 0.05,
    corrupt_id: float = 0.01,
    homophone: float = 0.02,
    typo: float = 0.01,
    birth_error: float = 0.01,
    county_only: float = 0.2,
    outsiders: pa.Table | None = None,
    seed: int = 0,
) -> Feed:
    """Draw ``rows_per_person`` rows per person (and one per outsider), then damage them."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = round(persons.num_rows * rows_per_person)
    pick = np.sort(rng.integers(0, persons.num_rows, n))
    rows = persons.take(pa.array(pick))
    truth = rows.column("person_key").combine_chunks()
    if outsiders is not None and outsiders.num_rows:
        rows = pa.concat_tables([rows, outsiders.select(rows.column_names)])
        truth = pa.concat_arrays([truth, pa.nulls(outsiders.num_rows, pa.int64())])
    m = rows.num_rows
    ids = _damage_ids(rng, rows.column("id_number").to_pylist(), missing_id, corrupt_id)
    names = _damage_names(rng, rows.column("name").to_pylist(), homophone, typo)
    births = _damage_births(rng, rows.column("birth_date").to_pylist(), birth_error)
    division = _divisions(rng, rows, county_only)
    table = pa.table(
        {
            "record_id": pa.array(np.arange(m, dtype=np.int64) + 1),
            "id_number": pa.array(ids, pa.string()),
            "name": pa.array(names, pa.string()),
            "sex": rows.column("sex"),
            "birth_date": pa.array(births, pa.date32()),
            "division_code": division,
        }
    )
    return Feed(table, truth)


def _damage_ids(
    rng: np.random.Generator, ids: list[str | None], missing: float, corrupt: float
) -> list[str | None]:
    u = rng.random(len(ids))
    digit = rng.integers(0, 17, len(ids))
    shift = rng.integers(1, 10, len(ids))
    out: list[str | None] = []
    for x, ui, d, s in zip(ids, u, digit, shift, strict=True):
        if x is None or ui < missing:
            out.append(None)
        elif ui < missing + corrupt:  # one digit changed: always breaks the check character
            out.append(x[:d] + str((int(x[d]) + s) % 10) + x[d + 1 :])
        else:
            out.append(x)
    return out


def _damage_names(
    rng: np.random.Generator, names: list[str], homophone: float, typo: float
) -> list[str]:
    groups, alike = _homophones()
    pool = sorted(alike)
    u = rng.random(len(names))
    r = rng.random(len(names))
    out = []
    for name, ui, ri in zip(names, u, r, strict=True):
        if ui < homophone + typo and len(name) > 1:
            i = 1 + int(ri * (len(name) - 1))
            if ui < homophone:
                choices = [c for c in groups.get(alike.get(name[i], ""), ()) if c != name[i]]
            else:
                choices = [pool[int(ri * 7919) % len(pool)]]
            if choices:
                name = name[:i] + choices[int(ri * 104729) % len(choices)] + name[i + 1 :]
        out.append(name)
    return out


@lru_cache(maxsize=1)
def _homophones() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Pinyin → characters that read so, and character → its pinyin."""
    from minzheng.monitoring.linkage.prepare import name_syllables
    from minzheng.synth import names as synth_names

    chars = set(
        synth_names.GIVEN_MALE_OLD
        + synth_names.GIVEN_MALE_NEW
        + synth_names.GIVEN_FEMALE_OLD
        + synth_names.GIVEN_FEMALE_NEW
        + _EXTRA_CHARS
    )
    reading = {c: "".join(name_syllables("王" + c)[1:]) for c in sorted(chars)}
    groups: dict[str, list[str]] = {}
    for c, py in reading.items():
        groups.setdefault(py, []).append(c)
    return {k: tuple(v) for k, v in groups.items()}, reading


def _damage_births(rng: np.random.Generator, births: list, error: float) -> list:
    import datetime as dt

    u = rng.random(len(births))
    out = []
    for b, ui in zip(births, u, strict=True):
        if b is not None and ui < error / 2 and b.day <= 12 and b.day != b.month:
            b = dt.date(b.year, b.day, b.month)  # day and month swapped
        elif b is not None and ui < error:
            b = b + dt.timedelta(days=1 if b.day < 28 else -1)
        out.append(b)
    return out


def _divisions(rng: np.random.Generator, rows: pa.Table, county_only: float) -> pa.Array:
    """Residence or hukou township; sometimes only the county (padded to 12 digits)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    m = rows.num_rows
    use_hukou = pa.array(rng.random(m) < 0.5)
    code = pc.if_else(use_hukou, rows.column("hukou_division"), rows.column("residence_division"))
    county = pc.binary_join_element_wise(pc.utf8_slice_codeunits(code, 0, 6), "000000", "")
    return pc.if_else(pa.array(np.asarray(rng.random(m) < county_only)), county, code)

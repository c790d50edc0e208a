"""ID numbers: GB 11643 check characters, uniqueness, sex/birth date, retired codes."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pyarrow.compute as pc

from minzheng.synth import Population
from tests.synth.conftest import DATA

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_char(body: str) -> str:
    """ISO 7064 MOD 11-2, computed here independently of the generator."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def valid_rows(pop: Population) -> list[dict]:
    return [r for r in pop.persons.to_pylist() if r["id_status"] == "valid"]


def test_every_id_number_is_valid(pop: Population) -> None:
    rows = valid_rows(pop)
    assert len(rows) > 0.98 * pop.persons.num_rows
    for r in rows:
        n = r["id_number"]
        assert len(n) == 18 and n[:17].isdigit(), n
        assert n[17] == check_char(n[:17]), n


def test_known_check_characters() -> None:
    assert check_char("11010519491231002") == "X"  # the standard's worked example
    assert check_char("44052418800101001") == "4"


def test_check_characters_agree_with_python_stdnum(pop: Population) -> None:
    """stdnum's own checksum (its birth-place check is stricter than real IDs, so not used)."""
    from stdnum.cn import ric

    for r in valid_rows(pop):
        assert ric.calc_check_digit(r["id_number"]) == r["id_number"][17]


def test_id_numbers_are_unique(pop: Population, province_pop: Population) -> None:
    for p in (pop, province_pop):
        ids = p.persons.column("id_number").drop_null().to_pylist()
        assert len(ids) == len(set(ids))


def test_sex_and_birth_date_match_the_id(pop: Population) -> None:
    for r in valid_rows(pop):
        n = r["id_number"]
        assert r["sex"] == ("1" if int(n[16]) % 2 else "2"), n
        assert dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])) == r["birth_date"], n


def test_missing_and_unregistered_have_no_number(pop: Population) -> None:
    status = Counter(pop.persons.column("id_status").to_pylist())
    n = pop.persons.num_rows
    assert set(status) == {"valid", "missing", "unregistered"}
    assert 0.002 < status["missing"] / n < 0.009
    assert 0.0005 < status["unregistered"] / n < 0.004
    for r in pop.persons.to_pylist():
        assert (r["id_number"] is None) == (r["id_status"] != "valid")
        if r["id_status"] == "unregistered":
            assert (pop.as_of - r["birth_date"]).days < 366


def retired_codes() -> set[str]:
    with open(DATA / "divisions.csv", encoding="utf-8") as fh:
        current = {r["code"][:6] for r in csv.DictReader(fh)}
    with open(DATA / "changes.csv", encoding="utf-8") as fh:
        old = {r["old_code"] for r in csv.DictReader(fh) if r["level"] == "3"}
    return {c for c in old if c.startswith("44") and c not in current}


def test_retired_address_codes_for_some_older_people(
    pop: Population, province_pop: Population
) -> None:
    retired = retired_codes()
    for p in (pop, province_pop):
        valid = p.persons.filter(pc.equal(p.persons.column("id_status"), "valid"))
        rows = valid.select(["id_number", "hukou_division", "birth_date"]).to_pylist()
        other = [r for r in rows if r["id_number"][:6] != r["hukou_division"][:6]]
        assert other, "no retired address codes"
        assert all(r["id_number"][:6] in retired for r in other)
        assert all(r["birth_date"].year < 2000 for r in other)
        older = sum(r["birth_date"].year < 2000 for r in rows)
        assert 0.01 < len(other) / older < 0.05


def test_fast_calendar_matches_numpy_datetime64() -> None:
    import numpy as np

    from minzheng.synth.ids import ymd

    days = np.arange(-100_000, 40_000)
    year, month, day = ymd(days)
    d = days.astype("datetime64[D]")
    y, m = d.astype("datetime64[Y]"), d.astype("datetime64[M]")
    assert (year == y.astype(np.int64) + 1970).all()
    assert (month == (m - y.astype("datetime64[M]")).astype(np.int64) + 1).all()
    assert (day == (d - m.astype("datetime64[D]")).astype(np.int64) + 1).all()


def test_sequences_stay_unique_when_a_day_overflows() -> None:
    import numpy as np

    from minzheng.synth.ids import sequences

    n = 1200  # more men born the same day in one county than 500 odd sequence numbers
    seq, days = sequences(
        np.random.default_rng(0), np.full(n, 440106), np.full(n, 7000), np.ones(n, dtype=bool)
    )
    assert len(set(zip(days.tolist(), seq.tolist(), strict=True))) == n
    assert (seq % 2 == 1).all() and seq.max() <= 999
    assert sorted(set(days.tolist())) == [6998, 6999, 7000]

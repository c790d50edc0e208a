"""Structure, determinism and plausibility of generated populations."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict

import pyarrow as pa
import pytest

from minzheng.synth import Population, generate
from tests.synth.conftest import AS_OF, COUNTIES

SCHEMAS = {
    "households": {
        "household_ref": pa.string(),
        "hukou_division": pa.string(),
        "residence_division": pa.string(),
        "address": pa.string(),
        "urban": pa.bool_(),
        "head_person_key": pa.int64(),
    },
    "incomes": {"person_key": pa.int64(), "kind": pa.string(), "monthly_fen": pa.int64()},
    "assets": {
        "household_ref": pa.string(),
        "kind": pa.string(),
        "value_fen": pa.int64(),
        "quantity": pa.int32(),
    },
}
PERSON_TYPES = {
    "person_key": pa.int64(),
    "id_number": pa.string(),
    "birth_date": pa.date32(),
    "urban": pa.bool_(),
    "self_care_failed": pa.int8(),
    "sex": pa.string(),
}


def test_same_seed_same_tables_other_seed_differs() -> None:
    a = generate(persons=3_000, counties=COUNTIES, seed=5)
    b = generate(persons=3_000, counties=COUNTIES, seed=5)
    c = generate(persons=3_000, counties=COUNTIES, seed=6)
    for name, table in a.tables().items():
        assert table.equals(b.tables()[name]), name
    assert not a.persons.equals(c.persons)
    assert a.persons.column("id_number") != c.persons.column("id_number")


def test_row_counts_and_keys(pop: Population) -> None:
    assert pop.persons.num_rows == 20_000
    assert pop.persons.column("person_key").to_pylist() == list(range(20_000))
    refs = pop.households.column("household_ref").to_pylist()
    assert len(refs) == len(set(refs))
    assert set(pop.persons.column("household_ref").to_pylist()) == set(refs)
    assert set(pop.assets.column("household_ref").to_pylist()) <= set(refs)
    assert max(pop.incomes.column("person_key").to_pylist()) < 20_000
    assert {r[1:7] for r in refs} == set(COUNTIES)


def test_schemas_and_integer_money(pop: Population) -> None:
    for name, cols in SCHEMAS.items():
        schema = pop.tables()[name].schema
        assert {f.name: f.type for f in schema} == cols, name
    schema = pop.persons.schema
    assert len(schema.names) == 19
    for col, typ in PERSON_TYPES.items():
        assert schema.field(col).type == typ
    assert min(pop.incomes.column("monthly_fen").to_pylist()) >= 0


def test_one_head_per_household(pop: Population) -> None:
    heads = Counter(
        r["household_ref"] for r in pop.persons.to_pylist() if r["relationship"] == "02"
    )
    assert all(n == 1 for n in heads.values())
    assert len(heads) == pop.households.num_rows
    persons = pop.persons.to_pylist()
    for h in pop.households.to_pylist():
        head = persons[h["head_person_key"]]
        assert head["relationship"] == "02" and head["household_ref"] == h["household_ref"]


def test_members_share_divisions_and_spouses_are_opposite_sex(pop: Population) -> None:
    households = {h["household_ref"]: h for h in pop.households.to_pylist()}
    heads = {}
    for r in pop.persons.to_pylist():
        h = households[r["household_ref"]]
        assert (r["hukou_division"], r["residence_division"], r["urban"], r["address"]) == (
            h["hukou_division"],
            h["residence_division"],
            h["urban"],
            h["address"],
        )
        assert r["birth_date"] < AS_OF
        if r["relationship"] == "02":
            heads[r["household_ref"]] = r
        elif r["relationship"] == "10":
            assert r["sex"] != heads[r["household_ref"]]["sex"]
        elif r["relationship"] in ("20", "30"):
            assert r["sex"] == ("1" if r["relationship"] == "20" else "2")
            age_gap = heads[r["household_ref"]]["birth_date"].year - r["birth_date"].year
            assert -41 <= age_gap <= -19


def test_divisions_are_townships_of_the_counties(
    pop: Population, townships: dict[str, str]
) -> None:
    hukou = pop.households.column("hukou_division").to_pylist()
    residence = pop.households.column("residence_division").to_pylist()
    for code in hukou + residence:
        assert townships.get(code) in COUNTIES, code
    moved = sum(a[:6] != b[:6] for a, b in zip(hukou, residence, strict=True)) / len(hukou)
    same = sum(a == b for a, b in zip(hukou, residence, strict=True)) / len(hukou)
    assert 0.03 < moved < 0.08
    assert 0.8 < same < 0.9


def test_default_counties_cover_the_province(
    province_pop: Population, townships: dict[str, str]
) -> None:
    assert len(province_pop.counties) > 100
    hukou = set(province_pop.households.column("hukou_division").to_pylist())
    assert all(townships[c].startswith("44") for c in hukou)
    assert len({townships[c] for c in hukou}) > 50


def test_plausible_distributions(pop: Population) -> None:
    rows = pop.persons.to_pylist()
    n = len(rows)
    size = n / pop.households.num_rows
    assert 2.3 < size < 2.9
    disabled = sum(r["disability_category"] != "" for r in rows) / n
    assert 0.05 < disabled < 0.09
    assert all((r["disability_category"] == "") == (r["disability_grade"] == "") for r in rows)
    health = Counter(r["health"] for r in rows)
    assert 0.015 < health["serious"] / n < 0.05 and 0.1 < health["chronic"] / n < 0.22
    for r in rows:
        b = r["birth_date"]
        age = AS_OF.year - b.year - ((b.month, b.day) > (AS_OF.month, AS_OF.day))
        if age < 16:
            assert r["labour_capacity"] == "none"
        if age < 18:
            assert r["phone"] == ""
        else:
            assert len(r["phone"]) == 11 and r["phone"][:2] in ("13", "15", "18")
        if 7 <= age < 11:
            assert r["schooling"] == "primary"
        assert 0 <= r["self_care_failed"] <= 6


def test_names_look_chinese(pop: Population) -> None:
    names = pop.persons.column("name").to_pylist()
    assert all(2 <= len(n) <= 4 for n in names)
    top = Counter(n[0] for n in names).most_common(5)
    assert {"陈", "李", "王", "张"} & {s for s, _ in top}


def test_children_usually_take_the_fathers_surname(pop: Population) -> None:
    by_hh: dict[str, list[dict]] = defaultdict(list)
    for r in pop.persons.to_pylist():
        by_hh[r["household_ref"]].append(r)
    same = total = 0
    for members in by_hh.values():
        head = members[0]
        if head["sex"] != "1" or len(head["name"]) != 3:
            continue
        for r in members:
            if r["relationship"] in ("20", "30") and len(r["name"]) in (2, 3):
                total += 1
                same += r["name"][0] == head["name"][0]
    assert same / total > 0.85


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate(persons=0)
    with pytest.raises(ValueError):
        generate(persons=10, counties=["110101"])
    with pytest.raises(ValueError):
        generate(persons=10, counties=["449999"])
    with pytest.raises(ValueError):
        generate(persons=10, counties=[])
    with pytest.raises(ValueError):
        generate(persons=10, counties=["440104", "440104"])


def test_importing_the_package_is_cheap() -> None:
    code = "import sys, minzheng.synth; print('numpy' in sys.modules or 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_person() -> None:
    p = generate(persons=1, counties=["440104"], seed=1)
    assert p.persons.num_rows == 1 and p.households.num_rows == 1
    assert p.persons.column("relationship").to_pylist() == ["02"]


def test_codes_are_the_registry_codes(pop: Population) -> None:
    from minzheng.registry import codes

    def values(col: str) -> set[str]:
        return set(pop.persons.column(col).to_pylist()) - {""}

    assert values("relationship") <= set(codes.RELATIONSHIP)
    assert {"02", "10", "20", "30", "41", "42", "51", "52"} <= values("relationship")
    assert values("disability_category") == set(codes.DISABILITY)
    assert values("disability_grade") == set(codes.DISABILITY_GRADE)
    assert values("labour_capacity") == set(codes.LABOUR)
    assert values("health") == set(codes.HEALTH)
    assert values("schooling") <= set(codes.SCHOOLING)
    # Earned and transfer incomes; payments usually excluded (优抚金, 奖励 …) are not generated.
    excluded = {"declared", "care", "reward", "study", "assistance"}
    assert set(pop.incomes.column("kind").to_pylist()) == set(codes.INCOME_KIND) - excluded
    assert set(pop.assets.column("kind").to_pylist()) == set(codes.ASSET_KIND)

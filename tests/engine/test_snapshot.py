"""Snapshots read the registry as of a date, in one set-based read (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from django.db import connection

from minzheng.engine import catalog, run
from minzheng.engine.snapshot import Snapshot, snapshot_adbc, snapshot_take
from minzheng.registry import services
from minzheng.registry.models import Asset, Condition, Household, Income, Person
from tests.conftest import ids

D0, D1 = dt.date(2024, 1, 1), dt.date(2024, 4, 1)
BEFORE, AFTER = dt.date(2024, 2, 1), dt.date(2024, 6, 30)


@pytest.fixture
def registry(actor, division):  # type: ignore[no-untyped-def]
    """Two households; on D1 a son moves out, an income drops and a person's hukou moves."""
    a = services.household_register(
        actor=actor, ref="HA", hukou_division=division("440106001"), urban=True
    )
    b = services.household_register(actor=actor, ref="HB", hukou_division=division("440104001"))
    services.household_register(actor=actor, ref="EMPTY", hukou_division=division("440104001"))
    n = ids(3)
    head = services.person_register(
        actor=actor, household=a, name="陈一", relationship="02", on=D0, id_number=n[0]
    )
    son = services.person_register(
        actor=actor, household=a, name="陈二", relationship="20", on=D0, id_number=n[1]
    )
    other = services.person_register(
        actor=actor, household=b, name="林三", relationship="02", on=D0, id_number=n[2]
    )
    services.person_move(actor=actor, person=son, to=b, relationship="71", on=D1)
    Income.objects.create(person=head, kind="wage", monthly_fen=150_000, valid_from=D0, valid_to=D1)
    Income.objects.create(person=head, kind="wage", monthly_fen=50_000, valid_from=D1)
    Income.objects.create(person=other, kind="transfer", monthly_fen=20_000, valid_from=D0)
    Condition.objects.create(
        person=other,
        disability_category="1",
        disability_grade="2",
        self_care_failed=3,
        valid_from=D0,
    )
    Asset.objects.create(household=a, kind="financial", value_fen=500_000, valid_from=D0)
    services.person_relocate(actor=actor, person=other, on=D1, hukou_division=division("440104003"))
    return {"a": a, "b": b, "head": head, "son": son, "other": other}


def by_key(table, key):  # type: ignore[no-untyped-def]
    return {r[key]: r for r in table.to_pylist()}


def test_dated_facts_are_taken_as_of_the_date(registry, division):
    early, late = snapshot_take(on=BEFORE), snapshot_take(on=AFTER)
    for snap in (early, late):
        for name in ("household", "person", "income", "asset"):
            assert snap.tables[name].schema.equals(catalog.REGISTRY[name].arrow_schema()), name
    a, b, son, other = registry["a"].pk, registry["b"].pk, registry["son"].pk, registry["other"].pk
    assert by_key(early.tables["person"], "person_sk")[son]["household_sk"] == a
    assert by_key(late.tables["person"], "person_sk")[son]["household_sk"] == b
    assert by_key(late.tables["person"], "person_sk")[son]["relationship"] == "71"
    assert sorted(early.tables["income"]["monthly_fen"].to_pylist()) == [20_000, 150_000]
    assert sorted(late.tables["income"]["monthly_fen"].to_pylist()) == [20_000, 50_000]
    person = by_key(late.tables["person"], "person_sk")[other]
    assert person["hukou_division_sk"] == division("440104003").pk
    assert (
        by_key(early.tables["person"], "person_sk")[other]["hukou_division_sk"]
        == division("440104001").pk
    )
    assert (person["disability_category"], person["self_care_failed"]) == ("1", 3)
    assert by_key(late.tables["household"], "household_sk")[a]["urban"] is True
    assert set(late.tables["household"]["household_sk"].to_pylist()) == {
        a,
        b,
    }  # EMPTY has no members
    assert late.tables["asset"].to_pylist()[0]["value_fen"] == 500_000
    assert late.tables["division"].num_rows > 1000  # the whole tree: parameters join on it
    assert early.source == f"{connection.vendor}/connection"  # inside the test's transaction


def test_one_household_reads_the_same_rows_as_the_whole_registry(registry):
    whole = snapshot_take(on=AFTER)
    one = snapshot_take(
        on=AFTER, households=[registry["b"].pk], tables=["household", "person", "income", "asset"]
    )
    assert one.tables["household"]["household_sk"].to_pylist() == [registry["b"].pk]
    assert sorted(one.tables["person"]["person_sk"].to_pylist()) == sorted(
        [registry["son"].pk, registry["other"].pk]
    )
    assert one.tables["income"].to_pylist() == [
        r for r in whole.tables["income"].to_pylist() if r["person_sk"] == registry["other"].pk
    ]


def test_a_rule_runs_on_a_snapshot(registry, rulesets, parameters):
    snap = snapshot_take(on=AFTER)
    result = run(rulesets["dibao"], {**snap.tables, "parameter": parameters}, as_of=AFTER)
    rows = by_key(result.table, "subject_sk")
    a, b = rows[registry["a"].pk], rows[registry["b"].pk]
    assert (a["members"], a["household_income_fen"], a["dibao_standard_fen"]) == (
        1,
        50_000,
        125_000,
    )
    assert a["flag"] is True and a["amount_fen"] == 75_000
    assert (b["members"], b["household_income_fen"]) == (2, 20_000)


def test_snapshots_round_trip_through_parquet(registry, tmp_path):
    snap = snapshot_take(on=AFTER)
    back = Snapshot.read(snap.write(tmp_path / "snap"))
    assert back.as_of == AFTER and set(back.tables) == set(snap.tables)
    assert all(back.tables[n].equals(snap.tables[n]) for n in snap.tables)


def test_adbc_reads_the_same_rows(registry, tmp_path):
    """ADBC opens its own connection, so it reads a copy (SQLite) or committed rows (PostgreSQL)."""
    if connection.vendor == "postgresql":
        # The test's rows are uncommitted; the division tree was committed at session start.
        direct = snapshot_adbc(
            on=AFTER, vendor="postgresql", settings=connection.settings_dict, tables=["division"]
        )
        via_django = snapshot_take(on=AFTER, tables=["division"])
        assert (
            direct.tables["division"]
            .sort_by("division_sk")
            .equals(via_django.tables["division"].sort_by("division_sk"))
        )
        return
    path = tmp_path / "copy.sqlite3"
    copy_tables(
        path,
        ["divisions_division", *(m._meta.db_table for m in (Household, Person))],
        [
            "registry_membership",
            "registry_location",
            "registry_condition",
            "registry_income",
            "registry_asset",
        ],
    )
    direct = snapshot_adbc(on=AFTER, vendor="sqlite", settings={"NAME": str(path)})
    via_django = snapshot_take(on=AFTER)
    for name in via_django.tables:
        key = [
            (c, "ascending")
            for c in via_django.tables[name].column_names
            if c.endswith("_sk") or c == "kind"
        ]
        assert direct.tables[name].sort_by(key).equals(via_django.tables[name].sort_by(key)), name


def copy_tables(path, *groups):  # type: ignore[no-untyped-def]
    """Copy tables (schema and rows) from the test database into a SQLite file."""
    target = sqlite3.connect(path)
    with connection.cursor() as cur:
        for table in [t for group in groups for t in group]:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            target.execute(cur.fetchone()[0])
            cur.execute(f'SELECT * FROM "{table}"')
            rows = cur.fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                target.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    target.commit()
    target.close()

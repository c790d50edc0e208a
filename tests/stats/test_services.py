"""Snapshots: provisional/final, versions, the roll-up acceptance against direct counts."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from click.testing import CliRunner

from minzheng.stats.catalogue import catalogue
from minzheng.stats.compute import PREFIX, RollupError, Row, check_rollup, dims_key, ratio_value
from minzheng.stats.models import ImmutableError, Snapshot, SnapshotValue
from minzheng.stats.services import stats_snapshot
from tests.conftest import make_user

LATER = dt.date(2025, 1, 15)


# --- direct counts from the ORM rows (never through the engine) --------------------------
def _age(birth: dt.date | None, on: dt.date) -> str:
    if birth is None:
        return "unknown"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return "0-17" if age < 18 else "18-59" if age < 60 else "60+"


def _in_force(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    return start <= on and (end is None or end > on)


def _standards(on: dt.date) -> dict[str, list[tuple[str, int]]]:
    from minzheng.assistance.parameters import effective_rows

    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in effective_rows(["dibao_urban_fen", "dibao_rural_fen"]):
        if _in_force(r["valid_from"], r["valid_to"], on):
            out[r["name"]].append((r["division"], r["value"]))
    return out


def _standard(table: dict, name: str, code: str) -> int:
    return max((p for p in table[name] if code.startswith(p[0])), key=lambda p: len(p[0]))[1]


def direct_counts(on: dt.date) -> dict[tuple, Decimal]:
    """(code, level, division prefix, dims) → value, counted from the rows of each division."""
    from minzheng.assistance.models import Enrolment
    from minzheng.monitoring.models import LayerMembership
    from minzheng.registry.models import Location, Person

    facts: list[tuple[str, str, dict, int]] = []  # code, 12-digit division, dims, value
    standards = _standards(on)
    dibao_households: dict[tuple[int, str, bool], bool] = {}
    for e in Enrolment.objects.select_related("household__hukou_division"):
        code, urban = e.household.hukou_division.code, e.household.urban
        if e.programme == "temporary":
            if dt.date(on.year, 1, 1) <= e.valid_from <= on:
                facts.append(("SA31", code, {}, e.covered_persons))
            continue
        if not _in_force(e.valid_from, e.valid_to, on) or urban is None:
            continue
        if e.programme == "tekun":
            facts.append(("SA21" if urban else "SA22", code, {}, e.covered_persons))
            continue
        name = "dibao_urban_fen" if urban else "dibao_rural_fen"
        facts.append(("SA01" if urban else "SA11", code, {}, e.covered_persons))
        facts.append(("EX03", code, {"urban": urban}, e.amount_fen))
        weighted = _standard(standards, name, code) * e.covered_persons
        facts.append(("SA91" if urban else "SA92", code, {}, weighted))
        dibao_households[(e.household_id, code, urban)] = True
    for _, code, urban in dibao_households:
        facts.append(("SA02" if urban else "SA12", code, {}, 1))
    hukou = dict(Location.objects.as_of(on).values_list("person_id", "hukou_division__code"))
    persons = {}
    for pk, code, sex, birth in Person.objects.filter(merged_into__isnull=True).values_list(
        "pk", "hukou_division__code", "sex", "birth_date"
    ):
        persons[pk] = (hukou.get(pk) or code, sex, birth)
        facts.append(("MN02", persons[pk][0], {"sex": sex}, 1))
    layers = defaultdict(set)
    for m in LayerMembership.objects.all():
        if _in_force(m.valid_from, m.valid_to, on):
            layers[m.person_id].add(m.layer)
    for pk, held in layers.items():
        code, sex, birth = persons[pk]
        facts.append(("MN01", code, {"sex": sex, "age_band": _age(birth, on)}, 1))
        facts += [("MN10", code, {"layer": layer}, 1) for layer in held]
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for code, division, dims, value in facts:
        for level, digits in PREFIX.items():
            out[(code, level, division[:digits], dims_key(dims))] += value
    return out


def stored(snap: Snapshot, codes: set[str]) -> dict[tuple, SnapshotValue]:
    return {
        (v.indicator, v.level, v.division_code, v.dims_key): v
        for v in SnapshotValue.objects.filter(snapshot=snap, indicator__in=codes)
    }


# --- the acceptance test -------------------------------------------------------------------
def test_every_additive_figure_equals_a_direct_count_at_every_level(province):
    snap = stats_snapshot("2024Q3", as_of=LATER)
    expected = {k: v for k, v in direct_counts(province).items() if v}
    additive = {i.code for i in catalogue().computed() if i.additive}
    got = {k: v.value for k, v in stored(snap, additive).items() if v.value}
    assert {k[0] for k in expected} == additive  # the data exercises every indicator
    assert {k[1] for k in expected} == {0, 1, 2, 3, 4}
    missing = {k: v for k, v in expected.items() if got.get(k) != v}
    extra = {k: v for k, v in got.items() if k not in expected}
    assert not missing and not extra, (list(missing.items())[:5], list(extra.items())[:5])


def test_ratios_are_the_ratio_of_their_parts_direct_counts(province):
    snap = stats_snapshot("2024Q3", as_of=LATER)
    direct = direct_counts(province)
    ratios = stored(snap, {"SA03", "SA13"})
    assert ratios
    for (code, level, division, key), v in ratios.items():
        num, den = ("SA91", "SA01") if code == "SA03" else ("SA92", "SA11")
        n, d = direct[(num, level, division, key)], direct[(den, level, division, key)]
        assert (v.numerator, v.denominator) == (n, d)
        factor = Decimal("0.01") if code == "SA03" else Decimal("0.12")
        assert v.value == ratio_value(int(n), int(d), factor)
    nation = ratios[("SA13", 0, "", "{}")]
    assert nation.value == (
        Decimal(nation.numerator) * Decimal("0.12") / nation.denominator
    ).quantize(Decimal("0.000001"))


# --- provisional, final, versions ----------------------------------------------------------
def test_a_period_not_over_is_provisional_and_reads_today(province):
    snap = stats_snapshot("2024Q4", as_of=dt.date(2024, 11, 5))
    assert snap.provisional and snap.registry_as_of == dt.date(2024, 11, 5)
    final = stats_snapshot("2024Q3", as_of=dt.date(2024, 10, 1))
    assert not final.provisional and final.registry_as_of == dt.date(2024, 9, 30)
    assert final.code_version.startswith("0.") and final.inputs["rows"]["person"] == 600
    assert set(final.rules_sha256) == {"catalogue.yaml", "households.yaml", "persons.yaml"}


def test_rerun_makes_version_two_and_leaves_version_one_untouched(province):
    first = stats_snapshot("2024-07", as_of=LATER)
    before = list(SnapshotValue.objects.filter(snapshot=first).values_list("pk", "value"))
    second = stats_snapshot("2024-07", as_of=LATER)
    assert (first.version, second.version) == (1, 2)
    assert list(SnapshotValue.objects.filter(snapshot=first).values_list("pk", "value")) == before
    assert second.rows == first.rows and second.inputs == first.inputs
    with pytest.raises(ImmutableError):
        first.save()
    with pytest.raises(ImmutableError):
        SnapshotValue.objects.filter(snapshot=first).update(value=0)
    with pytest.raises(ImmutableError):
        Snapshot.objects.filter(pk=first.pk).delete()


def test_a_broken_rollup_fails_loudly():
    rows = [
        Row("SA01", 0, "", {}, Decimal(5)),
        Row("SA01", 1, "44", {}, Decimal(3)),
        Row("SA01", 1, "45", {}, Decimal(1)),
    ]
    with pytest.raises(
        RollupError, match="SA01 level 0 \\(nation\\) \\{\\}: parent 5, children sum 4"
    ):
        check_rollup(rows)


# --- jurisdiction --------------------------------------------------------------------------
def test_a_county_user_reads_only_its_subtree(province):
    from minzheng.stats.selectors import values_for

    snap = stats_snapshot("2024Q3", as_of=LATER)
    county = make_user("county", "440106", "caseworker")
    nation = make_user("nation", "", "caseworker")
    mine = values_for(county, snap, indicator="MN02")
    assert mine.exists()
    assert all(v.division_code.startswith("440106") and v.level >= 3 for v in mine)
    assert values_for(nation, snap, indicator="MN02").filter(level=0).exists()
    assert values_for(nation, snap).count() == snap.rows
    nobody = make_user("nobody", "440106")
    assert not values_for(nobody, snap).exists()


# --- the command ---------------------------------------------------------------------------
def test_the_command_prints_a_summary(province):
    from minzheng.cli import main

    result = CliRunner().invoke(
        main, ["stats", "snapshot", "--period", "2024Q3", "--as-of", LATER.isoformat()]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["period"] == "2024Q3" and out["version"] == 1 and not out["provisional"]
    bad = CliRunner().invoke(main, ["stats", "snapshot", "--period", "2024Q9"])
    assert bad.exit_code != 0 and "2024Q3" in bad.output


def test_a_division_merge_leaves_past_figures_where_they_were(db):
    from minzheng.divisions.models import Division
    from minzheng.divisions.services import _referencing_fields
    from minzheng.stats.models import Snapshot, SnapshotValue

    models = {m for m, _ in _referencing_fields()}
    assert SnapshotValue not in models and Snapshot not in models
    assert any(m._meta.label == "registry.Household" for m in models)
    assert Division.objects.exists()


def test_a_registry_without_programme_data_gives_zeros_not_an_error(db, tmp_path):
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.registry.bulk import population_load
    from minzheng.synth import generate, write

    on = dt.date(2024, 9, 30)
    write(generate(persons=50, province="44", counties=["440106"], seed=2, as_of=on), tmp_path)
    with acting(EVERYTHING):
        population_load(directory=tmp_path, on=on)
    snap = stats_snapshot("2024Q3", as_of=LATER)
    nation = SnapshotValue.objects.get(snapshot=snap, indicator="SA02", level=0, dims_key="{}")
    assert nation.value == 0
    assert (
        SnapshotValue.objects.get(
            snapshot=snap, indicator="MN02", level=0, dims_key='{"sex":"1"}'
        ).value
        + SnapshotValue.objects.get(
            snapshot=snap, indicator="MN02", level=0, dims_key='{"sex":"2"}'
        ).value
        == 50
    )

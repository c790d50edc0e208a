"""Dated, region-scoped parameters: lookup, set (close, insert, correct, unchanged), who may
set what, the seed, the audit trail and the engine rows."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.assistance.catalogue import SPECS, ParameterError
from minzheng.assistance.models import Parameter
from minzheng.assistance.parameters import (
    may_set,
    parameter_lookup,
    parameter_rows,
    parameter_set,
    parameters_for,
    parameters_seed,
)
from tests.assistance.conftest import (
    COUNTY_FEN,
    COUNTY_START,
    NATIONAL_FEN,
    NATIONAL_START,
    PROVINCE_FEN,
    PROVINCE_START,
)
from tests.conftest import make_user

NAME = "dibao_urban_fen"
D = dt.date


def rows_of(prefix: str, name: str = NAME) -> list[tuple[int, dt.date, dt.date | None]]:
    return list(
        Parameter.objects.filter(name=name, division_prefix=prefix)
        .order_by("valid_from")
        .values_list("value", "valid_from", "valid_to")
    )


def put(prefix: str, value: int, start: dt.date, end: dt.date | None = None, **kw):  # type: ignore[no-untyped-def]
    return parameter_set(
        actor=kw.pop("actor", None),
        name=kw.pop("name", NAME),
        division_prefix=prefix,
        value=value,
        valid_from=start,
        valid_to=end,
        **kw,
    )


# --- lookup: which value, from which division, since when --------------------------------
@pytest.mark.parametrize(
    ("day", "value", "prefix", "since"),
    [
        (D(2020, 1, 1), NATIONAL_FEN, "", NATIONAL_START),
        (D(2023, 12, 31), NATIONAL_FEN, "", NATIONAL_START),
        (D(2024, 1, 1), PROVINCE_FEN, "44", PROVINCE_START),
        (D(2024, 6, 30), PROVINCE_FEN, "44", PROVINCE_START),
        (D(2024, 7, 1), COUNTY_FEN, "440106", COUNTY_START),
        (D(2030, 1, 1), COUNTY_FEN, "440106", COUNTY_START),
    ],
)
def test_the_longest_prefix_in_force_on_the_day_wins(ladder, day, value, prefix, since):
    found = parameter_lookup(NAME, "440106", day)
    assert found is not None
    assert (found.value, found.division_prefix, found.valid_from) == (value, prefix, since)


def test_a_township_gets_its_county_value_and_a_sibling_county_the_province_value(ladder):
    day = D(2024, 7, 1)
    assert parameter_lookup(NAME, "440106001", day).division_prefix == "440106"
    assert parameter_lookup(NAME, "440106001000", day).division_prefix == "440106"
    sibling = parameter_lookup(NAME, "440104", day)
    assert (sibling.value, sibling.division_prefix) == (PROVINCE_FEN, "44")
    elsewhere = parameter_lookup(NAME, "110105", day)
    assert (elsewhere.value, elsewhere.division_prefix) == (NATIONAL_FEN, "")
    assert parameter_lookup(NAME, "", day).division_prefix == ""
    assert parameter_lookup(NAME, "44", day).division_prefix == "44"


def test_before_the_national_defaults_there_is_no_value(ladder):
    assert parameter_lookup(NAME, "440106", D(2019, 12, 31)) is None


def test_a_newer_province_value_does_not_beat_an_older_county_value(ladder):
    put("44", 99000, D(2025, 1, 1))
    found = parameter_lookup(NAME, "440106", D(2025, 6, 1))
    assert (found.value, found.division_prefix) == (COUNTY_FEN, "440106")
    assert parameter_lookup(NAME, "440104", D(2025, 6, 1)).value == 99000
    assert parameter_lookup(NAME, "440104", D(2024, 12, 31)).value == PROVINCE_FEN


def test_found_says_where_and_since_when_in_display_units(ladder):
    found = parameter_lookup(NAME, "440106", D(2024, 7, 1))
    assert found.display == "1200.00"
    assert found.source == "440106，自 2024-07-01 起"
    assert parameter_lookup(NAME, "440106", D(2023, 1, 1)).source == "全国，自 2020-01-01 起"
    assert found.as_dict() == {
        "name": NAME,
        "title": "城市低保标准",
        "value": COUNTY_FEN,
        "display": "1200.00",
        "unit": "元/人·月",
        "division_prefix": "440106",
        "valid_from": "2024-07-01",
        "valid_to": None,
        "note": "穗天民〔2024〕7号",
    }
    closed = parameter_lookup(NAME, "440106", D(2024, 3, 1)).as_dict()
    assert (closed["division_prefix"], closed["valid_to"]) == ("44", None)


def test_lookup_of_an_unknown_name_is_an_error(ladder):
    with pytest.raises(ParameterError):
        parameter_lookup("no_such_thing", "440106", D(2024, 7, 1))


def test_parameters_for_gives_every_parameter_with_its_source(ladder):
    found = parameters_for("440106001", D(2024, 7, 1))
    assert set(found) == set(SPECS)
    assert (found[NAME].value, found[NAME].division_prefix) == (COUNTY_FEN, "440106")
    assert found["dibao_rural_fen"].division_prefix == ""
    before = parameters_for("440106", D(2024, 6, 30))
    assert (before[NAME].value, before[NAME].division_prefix) == (PROVINCE_FEN, "44")
    assert parameters_for("440106", D(2019, 1, 1)) == {}


def test_parameters_for_ignores_names_no_longer_in_the_catalogue(seeded):
    Parameter.objects.create(
        name="retired_rule", division_prefix="", value=1, valid_from=D(2020, 1, 1)
    )
    assert "retired_rule" not in parameters_for("440106", D(2024, 1, 1))


# --- set: close the open row, insert before a later one, correct, unchanged ---------------
def test_a_new_value_closes_the_open_row_on_its_first_day(ladder):
    assert rows_of("44") == [(PROVINCE_FEN, PROVINCE_START, None)]
    row, what = put("44", 98000, D(2025, 1, 1))
    assert what == "created" and row.valid_to is None
    assert rows_of("44") == [
        (PROVINCE_FEN, PROVINCE_START, D(2025, 1, 1)),
        (98000, D(2025, 1, 1), None),
    ]
    assert parameter_lookup(NAME, "440104", D(2024, 12, 31)).value == PROVINCE_FEN
    assert parameter_lookup(NAME, "440104", D(2025, 1, 1)).value == 98000


def test_a_value_inserted_before_a_later_row_ends_where_that_row_starts(ladder):
    put("44", 98000, D(2025, 1, 1))
    row, what = put("44", 96000, D(2024, 4, 1))
    assert what == "created" and row.valid_to == D(2025, 1, 1)
    assert rows_of("44") == [
        (PROVINCE_FEN, PROVINCE_START, D(2024, 4, 1)),
        (96000, D(2024, 4, 1), D(2025, 1, 1)),
        (98000, D(2025, 1, 1), None),
    ]


def test_an_explicit_end_past_a_later_row_is_capped(ladder):
    row, what = put("440106", 110000, D(2024, 3, 1), D(2024, 12, 31))
    assert what == "created" and row.valid_to == COUNTY_START
    assert rows_of("440106") == [
        (110000, D(2024, 3, 1), COUNTY_START),
        (COUNTY_FEN, COUNTY_START, None),
    ]
    assert parameter_lookup(NAME, "440106", D(2024, 3, 1)).value == 110000
    assert parameter_lookup(NAME, "440106", D(2024, 2, 29)).division_prefix == "44"


def test_an_explicit_end_before_a_later_row_is_kept(ladder):
    row, _ = put("440106", 110000, D(2024, 3, 1), D(2024, 5, 1))
    assert row.valid_to == D(2024, 5, 1)
    assert parameter_lookup(NAME, "440106", D(2024, 5, 1)).division_prefix == "44"


def test_the_first_row_of_a_division_before_any_other_is_open(seeded):
    row, what = put("4401", 100000, D(2024, 2, 1))
    assert (what, row.valid_to) == ("created", None)
    assert parameter_lookup(NAME, "440106", D(2024, 2, 1)).division_prefix == "4401"


def test_a_row_starting_on_the_same_day_is_corrected_in_place(ladder, people):
    row, what = put("440106", 125000, COUNTY_START, note="更正", actor=people.county1)
    assert what == "corrected" and row.pk == ladder.county.pk
    assert rows_of("440106") == [(125000, COUNTY_START, None)]
    assert parameter_lookup(NAME, "440106", COUNTY_START).note == "更正"
    event = AuditEvent.objects.get(object_type="parameter", action="correct")
    assert event.object_id == str(row.pk) and event.actor == people.county1
    assert event.changes["value"] == 125000 and event.changes["valid_from"] == "2024-07-01"
    assert event.changes["note"] == "穗天民〔2024〕7号"  # the note before the correction


def test_the_audit_of_a_correction_keeps_the_value_it_replaced(ladder):
    put("440106", 125000, COUNTY_START)
    event = AuditEvent.objects.get(object_type="parameter", action="correct")
    assert COUNTY_FEN in event.changes.values()


def test_a_correction_of_the_note_alone_is_a_correction(ladder):
    _, what = put("440106", COUNTY_FEN, COUNTY_START, note="新依据")
    assert what == "corrected"
    assert Parameter.objects.get(pk=ladder.county.pk).note == "新依据"


def test_a_correction_can_shorten_a_row(ladder):
    _, what = put("440106", COUNTY_FEN, COUNTY_START, D(2025, 1, 1), note="穗天民〔2024〕7号")
    assert what == "corrected"
    assert rows_of("440106") == [(COUNTY_FEN, COUNTY_START, D(2025, 1, 1))]
    assert parameter_lookup(NAME, "440106", D(2025, 1, 1)).division_prefix == "44"


def test_a_correction_never_makes_rows_of_one_division_overlap(ladder):
    put("44", 98000, D(2025, 1, 1))
    put("44", PROVINCE_FEN, PROVINCE_START, D(2025, 12, 31), note="粤民规〔2023〕1号")
    (first_end, second_start) = (rows_of("44")[0][2], rows_of("44")[1][1])
    assert first_end is not None and first_end <= second_start


def test_repeating_a_capped_set_is_unchanged(ladder):
    _, first = put("440106", 110000, D(2024, 3, 1), D(2024, 12, 31))
    _, again = put("440106", 110000, D(2024, 3, 1), D(2024, 12, 31))
    assert (first, again) == ("created", "unchanged")


def test_repeating_a_set_is_unchanged_and_writes_no_audit(ladder):
    before = AuditEvent.objects.filter(object_type="parameter").count()
    row, what = put("440106", COUNTY_FEN, COUNTY_START, note="穗天民〔2024〕7号")
    assert (what, row.pk) == ("unchanged", ladder.county.pk)
    assert AuditEvent.objects.filter(object_type="parameter").count() == before
    assert Parameter.objects.filter(name=NAME).count() == 3


def test_a_repeat_naming_the_end_it_already_has_is_unchanged(ladder):
    put("440106", 110000, D(2024, 3, 1), D(2024, 5, 1))
    _, what = put("440106", 110000, D(2024, 3, 1), D(2024, 5, 1))
    assert what == "unchanged"


def test_a_creation_is_audited_with_the_row_it_closed(ladder, people):
    row, _ = put("440106", 130000, D(2025, 1, 1), actor=people.county1, note="调标")
    event = AuditEvent.objects.get(object_type="parameter", object_id=str(row.pk))
    assert (event.action, event.actor) == ("create", people.county1)
    assert event.changes == {
        "closed": ladder.county.pk,
        "value": 130000,
        "valid_from": "2025-01-01",
    }
    assert "440106" in event.summary and "130000" in event.summary
    assert row.created_by == people.county1


def test_the_system_may_set_and_is_audited_without_an_actor(seeded):
    row, _ = put("", 80000, D(2025, 1, 1))
    event = AuditEvent.objects.get(object_type="parameter", object_id=str(row.pk))
    assert event.actor is None and event.changes["closed"] is not None
    assert "全国" in event.summary


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("count_wage", 2, "bad_value"),
        (NAME, -1, "bad_value"),
        ("benefit_method", 3, "bad_value"),
        ("rounding_fen", 5, "bad_value"),
        ("no_such_parameter", 1, "unknown_parameter"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(seeded, name, value, code):
    before = Parameter.objects.count()
    with pytest.raises(ParameterError) as caught:
        put("44", value, D(2024, 1, 1), name=name)
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_en
    assert Parameter.objects.count() == before


@pytest.mark.parametrize("prefix", ["4", "4401061", "44a1"])
def test_a_bad_prefix_is_refused(seeded, prefix):
    with pytest.raises(ParameterError) as caught:
        put(prefix, 80000, D(2024, 1, 1))
    assert caught.value.code == "bad_division"


@pytest.mark.parametrize("end", [D(2024, 1, 1), D(2023, 12, 31)])
def test_the_end_must_be_after_the_start(seeded, end):
    with pytest.raises(ParameterError) as caught:
        put("44", 80000, D(2024, 1, 1), end)
    assert caught.value.code == "bad_dates"
    assert not Parameter.objects.filter(division_prefix="44").exists()


def test_national_prefix_spellings_mean_the_nation(seeded):
    row, what = put("全国", 80000, D(2025, 1, 1))
    assert (what, row.division_prefix) == ("created", "")


# --- who may set what ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "prefix", "allowed"),
    [
        ("county1", "440106", True),
        ("county1", "440106001", True),
        ("county1", "440106001001", True),
        ("county1", "44", False),
        ("county1", "4401", False),
        ("county1", "", False),
        ("county1", "440104", False),
        ("county2", "440106", False),
        ("province", "44", True),
        ("province", "440106", True),
        ("province", "45", False),
        ("province", "", False),
        ("nation", "", True),
        ("nation", "44", True),
        ("town1", "440106001", False),
        ("national_caseworker", "", False),
        ("national_caseworker", "440106", False),
        ("reviewer1", "440106", False),
        ("admin", "", False),
    ],
)
def test_approvers_set_their_own_division_and_below(people, who, prefix, allowed):
    assert may_set(getattr(people, who), prefix) is allowed


def test_the_system_and_superusers_may_set_anything(db):
    root = make_user("root", "440106", is_superuser=True)
    assert may_set(None, "") and may_set(root, "") and may_set(root, "45")


def test_an_inactive_approver_may_set_nothing(db):
    gone = make_user("gone", "440106", "approver", is_active=False)
    assert may_set(gone, "440106") is False


def test_a_county_approver_cannot_set_the_province_value(ladder, people):
    with pytest.raises(ParameterError) as caught:
        put("44", 1, D(2025, 1, 1), actor=people.county1)
    assert caught.value.code == "forbidden"
    assert "44" in caught.value.message and "44" in caught.value.message_en
    assert rows_of("44") == [(PROVINCE_FEN, PROVINCE_START, None)]


@pytest.mark.parametrize("who", ["town1", "national_caseworker", "reviewer1", "admin"])
def test_a_caseworker_reviewer_or_sysadmin_cannot_set_any_value(seeded, people, who):
    for prefix in ("", "44", "440106", "440106001"):
        with pytest.raises(ParameterError) as caught:
            put(prefix, 80000, D(2025, 1, 1), actor=getattr(people, who))
        assert caught.value.code == "forbidden"
    assert not Parameter.objects.filter(valid_from=D(2025, 1, 1)).exists()


def test_a_national_approver_can_set_the_national_value(seeded, people):
    _, what = put("", 80000, D(2025, 1, 1), actor=people.nation)
    assert what == "created"
    assert parameter_lookup(NAME, "440106", D(2025, 1, 1)).value == 80000
    assert rows_of("")[0][2] == D(2025, 1, 1)


def test_a_county_approver_sets_its_own_county(seeded, people):
    _, what = put("440106", 110000, D(2025, 1, 1), actor=people.county1)
    assert what == "created"
    with pytest.raises(ParameterError):
        put("440104", 110000, D(2025, 1, 1), actor=people.county1)


# --- seed and engine rows ------------------------------------------------------------------
def test_the_seed_adds_each_missing_national_default_once(db):
    put("", 80000, D(2020, 1, 1))  # a national value already entered is kept
    assert parameters_seed() == len(SPECS) - 1
    assert parameters_seed() == 0
    assert parameter_lookup(NAME, "440106", D(2024, 1, 1)).value == 80000
    rural = parameter_lookup("dibao_rural_fen", "440106", D(2024, 1, 1))
    assert (rural.value, rural.valid_from, rural.note) == (
        52490,
        D(2020, 1, 1),
        "全国默认值（示例数据）",
    )
    method = parameter_lookup("benefit_method", "440106", D(2024, 1, 1))
    assert method.note == "全国默认值"


def test_the_seed_does_not_count_regional_rows_as_national(db):
    put("44", 95000, D(2024, 1, 1))
    assert parameters_seed() == len(SPECS)


def test_parameter_rows_are_the_engine_shape_in_order(ladder):
    rows = parameter_rows([NAME])
    assert rows == [
        {
            "name": NAME,
            "division": "",
            "value": NATIONAL_FEN,
            "valid_from": NATIONAL_START,
            "valid_to": None,
        },
        {
            "name": NAME,
            "division": "44",
            "value": PROVINCE_FEN,
            "valid_from": PROVINCE_START,
            "valid_to": None,
        },
        {
            "name": NAME,
            "division": "440106",
            "value": COUNTY_FEN,
            "valid_from": COUNTY_START,
            "valid_to": None,
        },
    ]
    assert len(parameter_rows()) == len(SPECS) + 2

"""The parameter catalogue: units, display ↔ stored values, prefixes, national defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.assistance.catalogue import (
    DEFAULTS_FROM,
    SPECS,
    ParameterError,
    check_prefix,
    check_value,
    default_rows,
    from_display,
    spec,
    to_display,
)

URBAN = SPECS["dibao_urban_fen"]  # money: yuan ↔ fen
FLAG = SPECS["count_wage"]
METHOD = SPECS["benefit_method"]  # choice 1 gap / 2 tiered
ROUNDING = SPECS["rounding_fen"]  # choice 1 / 10 / 100
HOMES = SPECS["homes_max"]  # count


def refused(s, text) -> ParameterError:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError) as caught:
        from_display(s, text)
    return caught.value


# --- from_display / to_display -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("706.60", 70660),
        ("706.6", 70660),
        (706.6, 70660),
        (1200, 120000),
        ("1,200.00", 120000),
        ("1，200", 120000),
        (" 0.01 ", 1),
        ("0", 0),
    ],
)
def test_money_is_typed_in_yuan_and_stored_in_fen(text, fen):
    assert from_display(URBAN, text) == fen


@pytest.mark.parametrize(("fen", "text"), [(70660, "706.60"), (120000, "1200.00"), (1, "0.01")])
def test_money_is_shown_in_yuan_with_two_decimals(fen, text):
    assert to_display(URBAN, fen) == text
    assert from_display(URBAN, to_display(URBAN, fen)) == fen


def test_non_money_is_shown_as_the_whole_number():
    assert to_display(METHOD, 2) == "2"
    assert to_display(SPECS["marginal_pct"], 150) == "150"


def test_money_with_three_decimals_is_refused_in_both_languages():
    err = refused(URBAN, "706.605")
    assert err.code == "bad_value"
    assert "精确到分" in err.message and "fen" in err.message_en


def test_a_count_with_a_fraction_is_refused_but_a_whole_decimal_is_not():
    assert refused(HOMES, "1.5").code == "bad_value"
    assert from_display(HOMES, "2.0") == 2


@pytest.mark.parametrize(
    ("s", "text"),
    [(URBAN, "-1"), (URBAN, "-0.01"), (HOMES, "-1"), (SPECS["marginal_pct"], "-150")],
)
def test_negative_values_are_refused(s, text):
    err = refused(s, text)
    assert err.code == "bad_value" and "negative" in err.message_en and "负数" in err.message


@pytest.mark.parametrize("text", ["2", "-1", "0.5"])
def test_a_flag_is_0_or_1(text):
    assert refused(FLAG, text).code == "bad_value"


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", 1), ("否", 0), ("yes", 1), ("no", 0), ("true", 1), ("False", 0), (True, 1), ("1", 1)],
)
def test_a_flag_reads_yes_and_no(text, value):
    assert from_display(FLAG, text) == value


@pytest.mark.parametrize(("s", "text"), [(METHOD, "3"), (METHOD, "0"), (ROUNDING, "5")])
def test_a_choice_outside_the_list_is_refused_and_the_list_is_named(s, text):
    err = refused(s, text)
    assert err.code == "bad_value"
    for allowed, _ in s.choices:
        assert str(allowed) in err.message_en


@pytest.mark.parametrize("text", ["abc", "", "七百", "1.2.3"])
def test_junk_is_not_a_number(text):
    err = refused(URBAN, text)
    assert err.code == "bad_value" and "not a number" in err.message_en


@pytest.mark.parametrize("text", ["Infinity", "inf", "-Infinity"])
def test_infinity_is_a_bad_value_not_a_crash(text):
    assert refused(URBAN, text).code == "bad_value"


def test_check_value_works_on_stored_numbers():
    check_value(URBAN, 0)
    check_value(METHOD, 2)
    for s, value in ((URBAN, -1), (FLAG, 2), (METHOD, 3), (ROUNDING, 50)):
        with pytest.raises(ParameterError):
            check_value(s, value)


# --- prefixes ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "prefix"),
    [
        ("", ""),
        (None, ""),
        ("全国", ""),
        ("0", ""),
        ("00", ""),
        ("44", "44"),
        (" 4401 ", "4401"),
        ("440106", "440106"),
        ("440106001", "440106001"),
        ("440106001001", "440106001001"),
    ],
)
def test_check_prefix_accepts_the_levels(given, prefix):
    assert check_prefix(given) == prefix


@pytest.mark.parametrize(
    "given", ["4", "440", "44010", "4401061", "4401060010", "44x1", "广东", "²²", "٤٤٠١", "４４"]
)
def test_check_prefix_refuses_other_lengths_and_letters(given):
    with pytest.raises(ParameterError) as caught:
        check_prefix(given)
    assert caught.value.code == "bad_division"
    assert "2, 4, 6, 9 or 12" in caught.value.message_en


# --- the catalogue -------------------------------------------------------------------------
def test_unknown_parameter_is_a_clear_error():
    with pytest.raises(ParameterError) as caught:
        spec("dibao_standard_fen")
    assert caught.value.code == "unknown_parameter"
    assert "dibao_standard_fen" in caught.value.message_en


def test_every_default_passes_its_own_check():
    for s in SPECS.values():
        check_value(s, s.default)
        assert from_display(s, to_display(s, s.default)) == s.default, s.name


def test_default_rows_are_national_from_the_defaults_date():
    rows = default_rows()
    assert len(rows) == len(SPECS)
    assert {r["name"] for r in rows} == set(SPECS)
    start = dt.date.fromisoformat(DEFAULTS_FROM)
    assert all(r["division"] == "" and r["valid_from"] == start for r in rows)
    assert all(r["valid_to"] is None for r in rows)
    urban = next(r for r in rows if r["name"] == "dibao_urban_fen")
    assert urban["value"] == 70660

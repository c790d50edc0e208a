"""Resident ID numbers (GB 11643): parsing, check digit, legacy upgrade, Excel damage, masking.

Every number here is synthetic, built with ``make_id`` / ``check_char``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from minzheng.identity.resident_id import (
    EXCEL_NUMBER_MESSAGE,
    EXCEL_NUMBER_MESSAGE_EN,
    PROVINCE_CODES,
    InvalidId,
    ResidentId,
    check_char,
    looks_like_excel_number,
    make_id,
    mask,
    normalise,
    parse,
    upgrade_15,
)

TODAY = dt.date(2025, 6, 1)
BIRTH = dt.date(1990, 1, 1)
VALID = make_id("440106", BIRTH, 123)  # 440106199001011235
# Guangzhou codes, including 440102 (东山区, merged into 越秀区 in 2005) and 440107 (芳村区).
EVER_EXISTED = frozenset({"440100", "440102", "440103", "440104", "440106", "440107"})


def _mod13(first17: str) -> str:
    """MOD 11-2 via the base-13 identity (weight i is 2**(17-i) mod 11), not via WEIGHTS."""
    value = (1 - 2 * int(first17, 13)) % 11
    return "X" if value == 10 else str(value)


def ok(raw: str, known_address_codes: Container[str] | None = None) -> ResidentId:
    return parse(raw, today=TODAY, known_address_codes=known_address_codes)


def error(raw: str, known_address_codes: Container[str] | None = None) -> InvalidId:
    with pytest.raises(InvalidId) as info:
        parse(raw, today=TODAY, known_address_codes=known_address_codes)
    return info.value


def with_last(number: str, last: str) -> str:
    return number[:17] + last


def id_ending_in_x() -> str:
    return next(n for seq in range(1000) if (n := make_id("440106", BIRTH, seq)).endswith("X"))


# --- check character -------------------------------------------------------


def test_check_char_worked_example():
    # 4*7+4*9+0*10+1*5+0*8+6*4+1*2+9*1+9*6+0*3+0*7+1*9+0*10+1*5+1*8+2*4+3*2 = 194; 194 % 11 = 7
    assert check_char("44010619900101123") == "10X98765432"[7] == "5"
    assert VALID == "440106199001011235"


@pytest.mark.parametrize("bad", ["4401061990010112", "440106199001011234", "4401061990010112A", ""])
def test_check_char_rejects_anything_but_17_digits(bad):
    with pytest.raises(ValueError):
        check_char(bad)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_agrees_with_independent_formulas(first17):
    assert check_char(first17) == _mod13(first17)
    assert check_char(first17) == stdnum_ric.calc_check_digit(first17 + "0")


# --- valid numbers ---------------------------------------------------------


def test_valid_18_digit():
    rid = ok(VALID)
    assert rid == ResidentId("440106199001011235", "440106", BIRTH, "1", False)


def test_result_is_frozen():
    rid = ok(VALID)
    with pytest.raises(AttributeError):
        rid.number = "x"  # type: ignore[misc]


def test_full_width_digits_are_converted():
    full = VALID.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    assert full != VALID
    assert ok(full).number == VALID


def test_lower_case_x_and_full_width_x():
    number = id_ending_in_x()
    assert ok(number[:17] + "x").number == number
    assert ok(number[:17] + "ｘ").number == number
    assert ok(number[:17] + "Ｘ").number == number


def test_whitespace_anywhere_is_removed():
    spaced = f" {VALID[:6]} {VALID[6:14]}\t{VALID[14:]}\u3000\n"
    assert ok(spaced).number == VALID
    assert ok(f"\ufeff{VALID}\u200b").number == VALID


def test_normalise():
    assert normalise(" ４４０１０６\u3000１９９００１０１１２３ｘ ") == "44010619900101123X"


def test_birth_today_is_accepted():
    assert ok(make_id("440106", TODAY, 2)).birth_date == TODAY


def test_leap_day_is_a_real_date():
    assert ok(make_id("440106", dt.date(2000, 2, 29), 2)).birth_date == dt.date(2000, 2, 29)


def test_earliest_birth_is_accepted():
    assert ok(make_id("440106", dt.date(1890, 1, 1), 2)).birth_date.year == 1890


def test_today_defaults_to_the_real_date():
    assert parse(VALID).birth_date == BIRTH


# --- sex and age -----------------------------------------------------------


@pytest.mark.parametrize(("seq", "sex"), [(1, "1"), (123, "1"), (999, "1"), (0, "2"), (124, "2")])
def test_sex_comes_from_the_17th_digit(seq, sex):
    assert ok(make_id("440106", BIRTH, seq)).sex == sex


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (dt.date(1990, 1, 1), 0),
        (dt.date(2019, 12, 31), 29),
        (dt.date(2020, 1, 1), 30),
        (dt.date(2020, 6, 1), 30),
    ],
)
def test_age_on(day, age):
    assert ok(VALID).age_on(day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [(dt.date(2001, 2, 28), 0), (dt.date(2001, 3, 1), 1), (dt.date(2004, 2, 29), 4)],
)
def test_age_on_for_a_leap_day_birthday(day, age):
    rid = ok(make_id("440106", dt.date(2000, 2, 29), 2))
    assert rid.age_on(day) == age


def test_age_on_before_birth_is_an_error():
    with pytest.raises(ValueError):
        ok(VALID).age_on(dt.date(1989, 12, 31))


# --- check digit -----------------------------------------------------------


def test_bad_check_digit_names_the_expected_char():
    exc = error(with_last(VALID, "7"))
    assert exc.code == "checksum"
    assert exc.message == "身份证号校验位错误，应为 5"
    assert exc.message_en == "check digit is wrong, expected 5"
    assert str(exc) == exc.message


def test_bad_check_digit_expected_x():
    number = id_ending_in_x()
    exc = error(with_last(number, "0"))
    assert exc.code == "checksum" and exc.message.endswith("应为 X")
    assert exc.message_en.endswith("expected X")


@given(position=st.integers(0, 16), delta=st.integers(1, 9))
def test_every_single_digit_error_is_caught(position, delta):
    digit = str((int(VALID[position]) + delta) % 10)
    typo = VALID[:position] + digit + VALID[position + 1 :]
    with pytest.raises(InvalidId) as info:
        parse(typo, today=TODAY)
    # The check digit is verified before the date and address, so every typo is reported as such.
    assert info.value.code == "checksum"


# --- legacy 15-digit numbers -----------------------------------------------


def test_upgrade_15_worked_example():
    # 440106 + 900101 + 123 → 440106 19 900101 123 + check (194 % 11 = 7 → "5")
    assert upgrade_15("440106900101123") == "440106199001011235"


def test_upgrade_15_matches_the_formula():
    id15 = "320102850615047"
    first17 = "32010219850615047"
    assert upgrade_15(id15) == first17 + _mod13(first17)


def test_parse_15_digit_number():
    rid = ok("440106900101123")
    assert rid.number == VALID
    assert rid.upgraded_from_15 is True
    assert rid.birth_date == BIRTH
    assert rid.sex == "1"


def test_parse_15_digit_with_impossible_date():
    assert error("440106900230123").code == "birth_date"


@pytest.mark.parametrize("bad", ["44010690010112", "4401069001011234", "44010690010112X"])
def test_upgrade_15_rejects_other_shapes(bad):
    with pytest.raises(InvalidId) as info:
        upgrade_15(bad)
    assert info.value.code == "format"


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.text(alphabet="0123456789", min_size=4, max_size=4),
    birth=st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)),
    seq=st.integers(0, 999),
)
def test_upgraded_15_digit_numbers_always_parse(province, rest, birth, seq):
    id15 = f"{province}{rest}{birth:%y%m%d}{seq:03d}"
    rid = parse(id15, today=TODAY)
    assert rid.number == upgrade_15(id15)
    assert rid.upgraded_from_15 and rid.birth_date == birth
    assert parse(rid.number, today=TODAY).upgraded_from_15 is False


# --- birth dates -----------------------------------------------------------


def test_future_birth_date():
    exc = error(make_id("440106", TODAY + dt.timedelta(days=1), 2))
    assert exc.code == "future_birth"
    assert "2025-06-02" in exc.message and "future" in exc.message_en


def impossible(yyyymmdd: str) -> str:
    first17 = f"440106{yyyymmdd}123"
    return first17 + check_char(first17)


@pytest.mark.parametrize("yyyymmdd", ["19900230", "19901301", "19900001", "19900100", "19000229"])
def test_impossible_birth_date(yyyymmdd):
    exc = error(impossible(yyyymmdd))
    assert exc.code == "birth_date"
    assert yyyymmdd in exc.message and yyyymmdd in exc.message_en


def test_birth_before_1890():
    exc = error(make_id("440106", dt.date(1889, 12, 31), 2))
    assert exc.code == "birth_date"
    assert "1890" in exc.message


# --- address codes ---------------------------------------------------------


def test_retired_address_code_is_accepted_when_known():
    number = make_id("440102", dt.date(1980, 5, 4), 37)
    assert ok(number, known_address_codes=EVER_EXISTED).address_code == "440102"


@pytest.mark.parametrize("code", ["440199", "999999", "110101"])
def test_unknown_address_code_is_rejected(code):
    exc = error(make_id(code, BIRTH, 1), known_address_codes=EVER_EXISTED)
    assert exc.code == "address"
    assert code in exc.message and code in exc.message_en


def test_without_a_code_list_only_the_province_is_checked():
    assert ok(make_id("440199", BIRTH, 1)).address_code == "440199"
    exc = error(make_id("999999", BIRTH, 1))
    assert exc.code == "address" and "99" in exc.message


@pytest.mark.parametrize("province", ["10", "16", "20", "24", "38", "47", "55", "60", "70", "83"])
def test_non_provinces_are_rejected(province):
    assert error(make_id(f"{province}0101", BIRTH, 1)).code == "address"


def test_all_province_codes():
    assert len(PROVINCE_CODES) == 34
    assert {"11", "15", "46", "50", "54", "65", "71", "81", "82"} <= PROVINCE_CODES


def test_stdnum_would_reject_a_code_newer_than_the_birth_year():
    # 天河区 (440106) was created in 1985: stdnum's cn.ric rejects anyone born there earlier,
    # but the holder of a 1960 birth date may well have been issued the code later.
    number = make_id("440106", dt.date(1960, 1, 1), 11)
    assert not stdnum_ric.is_valid(number)
    assert ok(number, known_address_codes=EVER_EXISTED).number == number


# --- Excel damage ----------------------------------------------------------


EXCEL_FORMS = [
    "4.40106E+17",
    "4.40106199001011e+17",
    "1.1010519491231e+17",
    "4.40106E17",
    "4.4E+17",
    "440106199001011234.0",
    "440106900101123.0",
    " 4.40106E+17 ",
]


@pytest.mark.parametrize("raw", EXCEL_FORMS)
def test_excel_numbers_are_recognised(raw):
    assert looks_like_excel_number(raw)


@pytest.mark.parametrize("raw", EXCEL_FORMS)
def test_excel_numbers_are_rejected_with_the_exact_message(raw):
    exc = error(raw)
    assert exc.code == "excel_number"
    assert exc.message == "身份证号被转换为数字，请将该列设置为文本后重新填写"
    assert exc.message_en == (
        "the ID number was turned into a number by Excel; format the column as text and enter it again"
    )
    assert (exc.message, exc.message_en) == (EXCEL_NUMBER_MESSAGE, EXCEL_NUMBER_MESSAGE_EN)


@pytest.mark.parametrize(
    "raw", [VALID, "440106900101123", "440106199001011000", "", "12.5", "E+17"]
)
def test_digit_strings_are_not_excel_numbers(raw):
    assert not looks_like_excel_number(raw)


@given(st.integers(10**17, 10**18 - 1))
def test_python_and_excel_float_renderings_are_recognised(n):
    assert looks_like_excel_number(str(float(n)))
    assert looks_like_excel_number(f"{n:.5E}")
    assert looks_like_excel_number(f"{n}.0")


# --- format ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        VALID[:17],
        VALID + "1",
        VALID[:16],
        "44010619900101123A",
        "4401061990X1011235",
        "X40106199001011235",
        "abcdefghijklmnopqr",
        "440106-19900101-1235",
        "44010690010112X",
    ],
)
def test_format_errors(raw):
    exc = error(raw)
    assert exc.code == "format"
    assert exc.message and exc.message_en


def test_format_message_names_the_length():
    exc = error(VALID[:17])
    assert "17" in exc.message and "17" in exc.message_en


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "\t\n"])
def test_empty(raw):
    exc = error(raw)
    assert exc.code == "empty"
    assert exc.message == "身份证号为空"


def test_invalid_id_is_a_value_error():
    with pytest.raises(ValueError):
        parse("nope", today=TODAY)
    assert "checksum" in repr(error(with_last(VALID, "0")))


# --- masking ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (VALID, "440106********1235"),
        ("44010619900101123x", "440106********123X"),
        ("440106900101123", "440106*****1123"),
        (f" {VALID[:6]} {VALID[6:]} ", "440106********1235"),
        ("", ""),
        ("1234", "****"),
        ("44010619900", "***********"),
    ],
)
def test_mask(raw, masked):
    assert mask(raw) == masked


def test_mask_of_short_input_reveals_nothing():
    for n in range(15):
        assert set(mask("7" * n)) <= {"*"}


# --- make_id ---------------------------------------------------------------


def test_make_id_round_trip():
    number = make_id("110101", dt.date(1975, 12, 31), 46)
    rid = ok(number)
    assert (rid.address_code, rid.birth_date, rid.sex) == ("110101", dt.date(1975, 12, 31), "2")
    assert number[14:17] == "046"


@pytest.mark.parametrize(
    ("code", "seq"), [("44010", 1), ("4401061", 1), ("44010a", 1), ("440106", -1), ("440106", 1000)]
)
def test_make_id_rejects_bad_parts(code, seq):
    with pytest.raises(ValueError):
        make_id(code, BIRTH, seq)


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.text(alphabet="0123456789", min_size=4, max_size=4),
    birth=st.dates(dt.date(1890, 1, 1), TODAY),
    seq=st.integers(0, 999),
)
def test_make_id_always_parses_back(province, rest, birth, seq):
    code = province + rest
    number = make_id(code, birth, seq)
    rid = parse(number, today=TODAY, known_address_codes={code})
    assert rid.number == number and len(number) == 18
    assert rid.address_code == code and rid.birth_date == birth
    assert rid.sex == ("1" if seq % 2 else "2")
    assert rid.upgraded_from_15 is False
    assert mask(number) == number[:6] + "*" * 8 + number[-4:]

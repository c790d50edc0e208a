"""Unified social credit codes (GB 32100) and their embedded organisation codes (GB 11714)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidFormat

from minzheng.identity.uscc import (
    ALPHABET,
    CIVIL_AFFAIRS,
    CIVIL_AFFAIRS_TYPES,
    InvalidUscc,
    Uscc,
    check_char,
    make_uscc,
    normalise,
    org_check_char,
    parse,
)

SOCIAL_GROUP = make_uscc("5", "1", "440106", 1)
# Published organisation codes (not personal data), checked by hand against both check characters:
PUBLISHED = [
    "91110000600037341L",  # python-stdnum's documentation example (organisation code 60003734-1)
    "91440300708461136T",  # a Shenzhen enterprise
    "12440600MB2C07549J",  # a Foshan public institution: letters in the organisation code
]


def error(raw: str) -> InvalidUscc:
    with pytest.raises(InvalidUscc) as info:
        parse(raw)
    return info.value


def replace(code: str, position: int, char: str) -> str:
    return code[:position] + char + code[position + 1 :]


def test_alphabet_has_31_characters_without_i_o_z_s_v():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert parse(code).code == code
    assert stdnum_uscc.is_valid(code)


def test_parts():
    assert parse("12440600MB2C07549J") == Uscc(
        code="12440600MB2C07549J",
        registration_authority="1",
        org_type="2",
        division_code="440600",
        org_code="MB2C07549",
    )


def test_gb_11714_worked_example():
    # 6*3 + 0*7 + 0*9 + 0*10 + 3*5 + 7*8 + 3*4 + 4*2 = 109; 11 - 109 % 11 = 1
    assert org_check_char("60003734") == "1"
    # Letters count from A = 10: M=22, B=11, C=12.
    assert org_check_char("MB2C0754") == "9"


def test_org_check_char_x_and_zero():
    bodies = [f"{n:08d}" for n in range(200)]
    assert {org_check_char(b) for b in bodies} == set("0123456789X")


@pytest.mark.parametrize(
    ("org_type", "kind"), [("1", "社会团体"), ("2", "民办非企业单位"), ("3", "基金会")]
)
def test_civil_affairs_examples(org_type, kind):
    code = make_uscc(CIVIL_AFFAIRS, org_type, "440106", 42)
    parsed = parse(code)
    assert (parsed.registration_authority, parsed.org_type) == ("5", org_type)
    assert parsed.division_code == "440106" and parsed.org_code[:8] == "00000042"
    assert CIVIL_AFFAIRS_TYPES[org_type] == kind
    assert stdnum_uscc.is_valid(code)


def test_letter_authorities_are_valid_though_stdnum_rejects_them():
    # "N" is agriculture (rural collective economic organisations), "Y" is "other".
    for authority in "NY":
        code = make_uscc(authority, "2", "440106", 7)
        assert parse(code).registration_authority == authority
        with pytest.raises(InvalidFormat):
            stdnum_uscc.validate(code)


def test_lower_case_spaces_and_full_width_are_normalised():
    code = PUBLISHED[2]
    assert parse(f" {code[:8].lower()} {code[8:].lower()}\u3000").code == code
    full = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert normalise(full) == code
    assert parse(full).code == code


def test_bad_check_char_names_the_expected_one():
    exc = error(replace(SOCIAL_GROUP, 17, "0" if SOCIAL_GROUP[17] != "0" else "1"))
    assert exc.code == "checksum"
    assert exc.message.endswith(f"应为 {SOCIAL_GROUP[17]}")
    assert exc.message_en.endswith(f"expected {SOCIAL_GROUP[17]}")


def test_stdnum_misses_a_bad_organisation_code():
    first17 = replace(SOCIAL_GROUP, 16, "X")[:17]  # wrong GB 11714 check, right MOD 31 check
    code = first17 + check_char(first17)
    assert stdnum_uscc.is_valid(code)
    exc = error(code)
    assert exc.code == "org_code"
    assert SOCIAL_GROUP[16] in exc.message and SOCIAL_GROUP[16] in exc.message_en


def test_organisation_check_char_must_be_digit_or_x():
    first17 = replace(SOCIAL_GROUP, 16, "A")[:17]
    assert error(first17 + check_char(first17)).code == "org_code"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters(letter):
    exc = error(replace(SOCIAL_GROUP, 12, letter))
    assert exc.code == "format"
    assert letter in exc.message and letter in exc.message_en


@pytest.mark.parametrize("raw", [SOCIAL_GROUP[:17], SOCIAL_GROUP + "1", "5144", "5" * 30])
def test_wrong_length(raw):
    exc = error(raw)
    assert exc.code == "format"
    assert str(len(raw)) in exc.message


def test_division_must_be_digits():
    exc = error(replace(SOCIAL_GROUP, 4, "A"))
    assert exc.code == "format" and "行政区划" in exc.message


@pytest.mark.parametrize("raw", ["", "  ", "\u3000"])
def test_empty(raw):
    assert error(raw).code == "empty"


def test_punctuation_is_not_allowed():
    assert error(replace(SOCIAL_GROUP, 10, "-")).code == "format"


@pytest.mark.parametrize(
    ("authority", "org_type", "division", "seq"),
    [
        ("", "1", "440106", 1),
        ("55", "1", "440106", 1),
        ("5", "I", "440106", 1),
        ("5", "1", "44010", 1),
        ("5", "1", "4401AB", 1),
        ("5", "1", "440106", -1),
        ("5", "1", "440106", 10**8),
    ],
)
def test_make_uscc_rejects_bad_parts(authority, org_type, division, seq):
    with pytest.raises(ValueError):
        make_uscc(authority, org_type, division, seq)


@pytest.mark.parametrize("bad", ["", "1234567", "123456789", "1234567a"])
def test_org_check_char_rejects_bad_bodies(bad):
    with pytest.raises(ValueError):
        org_check_char(bad)


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        check_char(SOCIAL_GROUP[:16])


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_check_char_agrees_with_stdnum(first17):
    assert check_char(first17) == stdnum_uscc.calc_check_digit(first17)


@given(
    authority=st.sampled_from(ALPHABET),
    org_type=st.sampled_from(ALPHABET),
    division=st.from_regex(r"[0-9]{6}", fullmatch=True),
    seq=st.integers(0, 10**8 - 1),
)
def test_make_uscc_always_parses_back(authority, org_type, division, seq):
    code = make_uscc(authority, org_type, division, seq)
    parsed = parse(code)
    assert parsed == Uscc(code, authority, org_type, division, code[8:17])
    assert code[8:16] == f"{seq:08d}"


@given(position=st.integers(0, 17), char=st.sampled_from(ALPHABET))
def test_single_character_errors_are_caught(position, char):
    code = PUBLISHED[2]
    if code[position] != char:
        with pytest.raises(InvalidUscc):
            parse(replace(code, position, char))

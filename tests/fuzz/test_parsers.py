"""The parsers under generated input (Hypothesis): they answer or raise their documented error.

ID numbers (GB 11643), unified social credit codes (GB 32100), division codes, names,
and the importers' cell parsers (money, dates, text, parameter values, holiday types,
CSV decoding). Properties: nothing escapes but the documented error; a valid value
round-trips (normalise → parse gives it back); a check character catches every
single-character change. Derandomised with a fixed budget, so CI runs the same
examples every time (a few seconds in all).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from minzheng.assistance.catalogue import SPECS, ParameterError, from_display
from minzheng.divisions.history import resolve_code
from minzheng.divisions.selectors import CodeMaps, normalise_code
from minzheng.identity import names, resident_id, uscc
from minzheng.registry.importing.readers import UnreadableFile, decode_text, sheets
from minzheng.registry.importing.values import BadValue, code_text, date_value, money_fen, text

TODAY = dt.date(2026, 6, 30)
FUZZ = settings(max_examples=100, derandomize=True, database=None, deadline=None)
FEW = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ID_CHARS = st.sampled_from("0123456789Xx０１２３４５６７８９Ｘ -\u200b\t\n.eE+")
anything = st.text(max_size=40) | st.text(ID_CHARS, max_size=24)
provinces = st.sampled_from(sorted(resident_id.PROVINCE_CODES))
address = st.builds(lambda p, rest: p + f"{rest:04d}", provinces, st.integers(0, 9999))
births = st.dates(resident_id.EARLIEST_BIRTH, TODAY)
valid_ids = st.builds(resident_id.make_id, address, births, st.integers(0, 999))


# --- resident ID numbers ------------------------------------------------------------------
@FUZZ
@given(anything)
def test_id_parse_answers_or_raises_invalid_id(raw: str) -> None:
    try:
        rid = resident_id.parse(raw, today=TODAY)
    except resident_id.InvalidId as exc:
        assert exc.code and exc.message and exc.message_en
        return
    assert len(rid.number) == 18 and rid.number[:17].isascii() and rid.number[:17].isdigit()
    assert rid.sex in ("1", "2") and resident_id.EARLIEST_BIRTH <= rid.birth_date <= TODAY


@FUZZ
@given(valid_ids, st.sampled_from(["", " ", "\u200b", "\t"]), st.booleans())
def test_a_valid_id_round_trips_however_it_is_typed(number: str, pad: str, wide: bool) -> None:
    typed = number.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}) if wide else number
    typed = pad + typed[:6] + pad + typed[6:].lower() + pad
    assert resident_id.normalise(typed) == number
    assert resident_id.parse(typed, today=TODAY).number == number


@FUZZ
@given(valid_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_the_check_character_catches_every_single_change(number: str, i: int, c: str) -> None:
    changed = number[:i] + c + number[i + 1 :]
    if changed == number or (i < 17 and c == "X"):
        return
    with pytest.raises(resident_id.InvalidId):
        resident_id.parse(changed, today=TODAY)


@FUZZ
@given(address, st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)), st.integers(0, 999))
def test_a_15_digit_number_upgrades_to_the_18_digit_one(code: str, born: dt.date, seq: int) -> None:
    full = resident_id.make_id(code, born, seq)
    old = full[:6] + full[8:17]
    assert resident_id.upgrade_15(old) == full
    assert resident_id.parse(old, today=TODAY).upgraded_from_15


@FUZZ
@given(anything)
def test_a_mask_shows_at_most_ten_characters(raw: str) -> None:
    shown = resident_id.mask(raw)
    assert sum(c != "*" for c in shown) <= 10


# --- unified social credit codes -----------------------------------------------------------
USCC_CHARS = st.sampled_from(uscc.ALPHABET + "IOZSVabc０Ａ -")
valid_usccs = st.builds(
    uscc.make_uscc,
    st.sampled_from(uscc.ALPHABET),
    st.sampled_from(uscc.ALPHABET),
    address,
    st.integers(0, 10**8 - 1),
)


@FUZZ
@given(st.text(max_size=30) | st.text(USCC_CHARS, max_size=20))
def test_uscc_parse_answers_or_raises_invalid_uscc(raw: str) -> None:
    try:
        code = uscc.parse(raw)
    except uscc.InvalidUscc as exc:
        assert exc.code and exc.message and exc.message_en
        return
    assert len(code.code) == 18 and set(code.code) <= set(uscc.ALPHABET)


@FUZZ
@given(valid_usccs, st.integers(0, 17), st.sampled_from(uscc.ALPHABET))
def test_uscc_round_trips_and_its_check_catches_a_change(code: str, i: int, c: str) -> None:
    assert uscc.parse(" " + code.lower() + " ").code == code
    changed = code[:i] + c + code[i + 1 :]
    if changed != code:
        with pytest.raises(uscc.InvalidUscc):
            uscc.parse(changed)


# --- division codes ------------------------------------------------------------------------
MAPS = CodeMaps(
    current={"440106000000": 1, "440106001000": 2, "440100000000": 3, "440000000000": 4},
    retired={"440102000000": "440106000000", "440105000000": "440106000000"},
)
CODE_CHARS = st.sampled_from("0123456789 ²٤x")


@FUZZ
@given(st.text(CODE_CHARS, max_size=14) | st.text(max_size=14))
def test_a_division_code_resolves_or_is_unknown(raw: str) -> None:
    found = MAPS.resolve(raw)
    assert found is None or (found[0] in MAPS.current.values() and isinstance(found[1], bool))


@FUZZ
@given(st.sampled_from(sorted(MAPS.current)), st.sampled_from([2, 4, 6, 9, 12]))
def test_a_current_code_resolves_to_itself_at_every_length(code: str, n: int) -> None:
    short = code[:n]
    if short.ljust(12, "0") in MAPS.current:
        assert resolve_code(short.ljust(12, "0"), MAPS.current, MAPS.retired) == (
            short.ljust(12, "0"),
            False,
        )


@FUZZ
@example("²²²²²²")
@given(st.text(CODE_CHARS, max_size=14))
def test_a_normalised_code_is_twelve_ascii_digits(raw: str) -> None:
    try:
        code = normalise_code(raw)
    except ValueError:
        return
    assert len(code) == 12 and code.isascii() and code.isdigit()


# --- names -----------------------------------------------------------------------------------
NAME_CHARS = st.sampled_from("张王欧阳司马单曾·•.。 　\u200bａＢab-'阿卜杜拉𠀀")


@FUZZ
@given(st.text(NAME_CHARS, max_size=12) | st.text(max_size=12))
def test_name_normalisation_never_raises_and_is_idempotent(raw: str) -> None:
    once = names.normalise_name(raw)
    assert names.normalise_name(once) == once
    key, initials = names.name_key(raw), names.name_initials(raw)
    assert names.name_pinyin(raw).replace(" ", "").replace(names.MIDDLE_DOT, "") == key
    assert len(initials) <= len(key)


# --- cell parsers ----------------------------------------------------------------------------
cells = (
    st.none()
    | st.text(max_size=20)
    | st.integers()
    | st.floats()
    | st.dates().map(lambda d: d)
    | st.datetimes()
    | st.text(st.sampled_from("0123456789.,-¥元，年月日/ eE"), max_size=16)
)


@FUZZ
@given(cells)
def test_cell_parsers_answer_or_raise_bad_value(cell: object) -> None:
    assert isinstance(text(cell), str) and " " not in code_text(cell)  # type: ignore[arg-type]
    for parse in (money_fen, date_value):
        try:
            parse(cell)  # type: ignore[arg-type]
        except BadValue as exc:
            assert exc.reason and exc.reason_en


@FUZZ
@given(st.integers(0, 10**12))
def test_money_round_trips_in_every_written_form(fen: int) -> None:
    yuan = Decimal(fen) / 100
    for written in (f"{yuan:.2f}", f"{yuan:,.2f}", f"¥{yuan:.2f}", f"{yuan:.2f}元"):
        assert money_fen(written) == fen


@FUZZ
@given(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)))
def test_dates_round_trip_in_every_written_form(day: dt.date) -> None:
    y, m, d = day.year, day.month, day.day
    for written in (
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y:04d}{m:02d}{d:02d}",
    ):
        assert date_value(written) == day


@FUZZ
@given(st.sampled_from(sorted(SPECS)), cells)
def test_parameter_values_answer_or_raise_parameter_error(name: str, cell: object) -> None:
    try:
        value = from_display(SPECS[name], cell)
    except ParameterError as exc:
        assert exc.message and exc.message_en
        return
    assert isinstance(value, int) and value >= 0


@FUZZ
@given(cells)
def test_holiday_cells_answer_or_raise_bad_value(cell: object) -> None:
    from minzheng.workdays.importing import _date, _kind

    for parse in (_date, _kind):
        with contextlib.suppress(BadValue):
            parse(cell)  # type: ignore[arg-type]


# --- decoding and reading CSV ------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=200))
def test_csv_bytes_decode_or_raise_unreadable(raw: bytes) -> None:
    try:
        assert isinstance(decode_text(raw), str)
    except UnreadableFile as exc:
        assert exc.message and exc.message_en


@FUZZ
@given(st.text(max_size=60))
def test_utf8_text_decodes_to_itself(s: str) -> None:
    assert decode_text(s.encode("utf-8")) == s.removeprefix("\ufeff")


@FEW
@example(b"a,b\rc,d\r")
@given(
    st.binary(max_size=120)
    | st.text(st.sampled_from('ab,;\t"\r\n\x00张'), max_size=60).map(str.encode)
)
def test_reading_any_csv_gives_rows_or_unreadable(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = Path(tmp_path_factory.mktemp("csv")) / "f.csv"
    path.write_bytes(data)
    try:
        for sheet in sheets(path):
            assert all(isinstance(h, str) for h in sheet.headers)
            list(sheet.rows)
    except UnreadableFile:
        pass

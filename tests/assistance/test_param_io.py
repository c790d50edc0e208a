"""Parameter tables in and out of spreadsheets: good rows land, bad rows are reported with
row, column and reason in both languages, re-imports change nothing, export round-trips."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from minzheng.assistance.models import Parameter
from minzheng.assistance.param_io import HEADERS, export_rows, parameters_export, parameters_import
from minzheng.assistance.parameters import parameter_lookup, parameter_rows
from tests.assistance.conftest import COUNTY_FEN, PROVINCE_FEN

COLUMNS = ["参数", "区划", "取值", "起始日期", "截止日期", "依据"]
D = dt.date


def write_csv(
    path: Path, rows: Sequence[Sequence[Any]], *, encoding="utf-8", headers=COLUMNS
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, headers=COLUMNS) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


GOOD = [
    ["dibao_urban_fen", "44", "950.00", "2024-01-01", "", "粤民规〔2023〕1号"],
    ["dibao_urban_fen", "440106", "1200", "2024-07-01", "", "穗天民〔2024〕7号"],
    ["benefit_method", "440106", "2", "2024-07-01", "", ""],
    ["count_care", "", "是", "2024-01-01", "", "全国"],
    ["homes_max", "4401", "2", "2024-01-01", "2025-01-01", ""],
]


def looked_up(name: str, code: str, day: dt.date) -> tuple[int, str]:
    found = parameter_lookup(name, code, day)
    assert found is not None
    return found.value, found.division_prefix


def errors_by_row(result) -> dict[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return {e["row"]: e for e in result.errors}


# --- good rows -----------------------------------------------------------------------------
def test_good_csv_rows_land_in_stored_units(seeded, tmp_path):
    result = parameters_import(write_csv(tmp_path / "p.csv", GOOD), actor=None)
    assert result.errors == []
    assert (result.rows, result.created, result.corrected, result.unchanged) == (5, 5, 0, 0)
    assert looked_up("dibao_urban_fen", "440104", D(2024, 1, 1)) == (PROVINCE_FEN, "44")
    assert looked_up("dibao_urban_fen", "440106", D(2024, 7, 1)) == (COUNTY_FEN, "440106")
    assert looked_up("benefit_method", "440106001", D(2024, 7, 1)) == (2, "440106")
    assert looked_up("count_care", "440106", D(2024, 7, 1)) == (1, "")
    assert looked_up("homes_max", "440106", D(2024, 12, 31)) == (2, "4401")
    assert looked_up("homes_max", "440106", D(2025, 1, 1)) == (1, "")
    note = parameter_lookup("dibao_urban_fen", "440106", D(2024, 7, 1)).note
    assert note == "穗天民〔2024〕7号"


def test_reimporting_the_same_file_changes_nothing(seeded, tmp_path):
    path = write_csv(tmp_path / "p.csv", GOOD)
    parameters_import(path, actor=None)
    before = parameter_rows()
    again = parameters_import(path, actor=None).as_dict()
    assert again == {
        "rows": 5,
        "created": 0,
        "corrected": 0,
        "unchanged": 5,
        "rejected": 0,
        "errors": [],
    }
    assert parameter_rows() == before


def test_a_changed_value_on_a_known_start_is_a_correction(seeded, tmp_path):
    parameters_import(write_csv(tmp_path / "a.csv", GOOD), actor=None)
    changed = [list(r) for r in GOOD]
    changed[1][2] = "1250.00"
    result = parameters_import(write_csv(tmp_path / "b.csv", changed), actor=None)
    assert (result.created, result.corrected, result.unchanged) == (0, 1, 4)
    assert looked_up("dibao_urban_fen", "440106", D(2024, 7, 1)) == (125000, "440106")


def test_a_gbk_csv_with_english_headers_imports(seeded, tmp_path):
    headers = ["name", "division", "value", "valid_from", "valid_to", "note"]
    path = write_csv(tmp_path / "gbk.csv", GOOD[:2], encoding="gbk", headers=headers)
    assert path.read_bytes().decode("gbk")  # really GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = parameters_import(path, actor=None)
    assert (result.created, result.errors) == (2, [])
    assert parameter_lookup("dibao_urban_fen", "440106", D(2024, 7, 1)).note == "穗天民〔2024〕7号"


def test_a_gbk_csv_with_chinese_headers_imports(seeded, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", GOOD, encoding="gbk")
    result = parameters_import(path, actor=None)
    assert (result.created, result.errors) == (5, [])


def test_an_xlsx_with_typed_cells_imports(seeded, tmp_path):
    rows = [
        # Excel turns codes into numbers and dates into date cells.
        ["dibao_urban_fen", 44, 950, dt.datetime(2024, 1, 1), None, "粤民规"],
        ["dibao_urban_fen", 440106, 1200.0, D(2024, 7, 1), None, None],
        ["dibao_rural_fen", 440106.0, 706.6, "2024-07-01", D(2025, 7, 1), "年中调标"],
        ["count_care", None, True, "2024-01-01", None, None],
        ["homes_max", 0, 2, "2024-01-01", None, "0 = 全国"],
    ]
    result = parameters_import(write_xlsx(tmp_path / "p.xlsx", rows), actor=None)
    assert result.errors == []
    assert result.created == 5
    assert looked_up("dibao_urban_fen", "440104", D(2024, 1, 1)) == (95000, "44")
    assert looked_up("dibao_urban_fen", "440106", D(2024, 7, 1)) == (120000, "440106")
    assert looked_up("dibao_rural_fen", "440106", D(2025, 6, 30)) == (70660, "440106")
    assert looked_up("dibao_rural_fen", "440106", D(2025, 7, 1)) == (52490, "")
    assert looked_up("count_care", "440106", D(2024, 1, 1)) == (1, "")
    assert looked_up("homes_max", "440106", D(2024, 1, 1)) == (2, "")
    again = parameters_import(tmp_path / "p.xlsx", actor=None)
    assert (again.unchanged, again.created, again.corrected) == (5, 0, 0)


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(seeded, tmp_path):
    rows = [GOOD[0], ["", "", "", "", "", ""], ["dibao_urban_fen", "44", "x", "2024-01-01"]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert result.rows == 2 and result.created == 1
    assert [e["row"] for e in result.errors] == [4]


# --- bad rows ------------------------------------------------------------------------------
BAD = [
    ["dibao_urban_fen", "44", "950.00", "2024-01-01", "", ""],  # row 2: good
    ["no_such_rule", "44", "1", "2024-01-01", "", ""],  # 3
    ["dibao_urban_fen", "44", "950.005", "2024-02-01", "", ""],  # 4: three decimals
    ["count_wage", "44", "2", "2024-01-01", "", ""],  # 5: flag 2
    ["homes_max", "44", "-1", "2024-01-01", "", ""],  # 6: negative
    ["benefit_method", "44", "3", "2024-01-01", "", ""],  # 7: not a choice
    ["dibao_urban_fen", "4401061", "900", "2024-01-01", "", ""],  # 8: bad division
    ["dibao_urban_fen", "4401", "900", "2024-13-01", "", ""],  # 9: bad start
    ["dibao_urban_fen", "4401", "900", "", "", ""],  # 10: no start
    ["dibao_urban_fen", "4401", "", "2024-01-01", "", ""],  # 11: no value
    ["dibao_urban_fen", "4401", "900", "2024-01-01", "someday", ""],  # 12: bad end
    ["dibao_urban_fen", "440106", "1200", "2024-07-01", "", ""],  # 13: good
]


@pytest.fixture
def bad_import(seeded, tmp_path):  # type: ignore[no-untyped-def]
    return parameters_import(write_csv(tmp_path / "bad.csv", BAD), actor=None)


def test_good_rows_land_even_when_others_are_bad(bad_import):
    assert (bad_import.rows, bad_import.created) == (12, 2)
    assert bad_import.as_dict()["rejected"] == 10
    assert looked_up("dibao_urban_fen", "440106", D(2024, 7, 1)) == (120000, "440106")
    assert not Parameter.objects.filter(division_prefix="4401").exists()
    assert not Parameter.objects.filter(valid_from=D(2024, 2, 1)).exists()


@pytest.mark.parametrize(
    ("row", "column", "zh", "en"),
    [
        (3, "参数", "未知参数", "unknown parameter"),
        (4, "取值", "精确到分", "exact to the fen"),
        (5, "取值", "只能是 0 或 1", "must be 0 or 1"),
        (6, "取值", "不能为负数", "cannot be negative"),
        (7, "取值", "只能取", "must be one of"),
        (8, "区划", "2、4、6、9 或 12 位", "2, 4, 6, 9 or 12 digits"),
        (9, "起始日期", "YYYY-MM-DD", "YYYY-MM-DD"),
        (10, "起始日期", "不能为空", "empty"),
        (11, "取值", "不能为空", "empty"),
        (12, "截止日期", "YYYY-MM-DD", "YYYY-MM-DD"),
    ],
)
def test_each_bad_row_says_where_and_why_in_both_languages(bad_import, row, column, zh, en):
    err = errors_by_row(bad_import)[row]
    assert err["column"] == column
    assert zh in err["message"], err
    assert en in err["message_en"], err


def test_the_report_is_one_error_per_bad_row(bad_import):
    assert sorted(e["row"] for e in bad_import.errors) == list(range(3, 13))
    assert all(set(e) == {"row", "column", "message", "message_en"} for e in bad_import.errors)


def test_an_approver_importing_another_division_gets_forbidden_rows(seeded, people, tmp_path):
    rows = [GOOD[0], GOOD[1], ["dibao_urban_fen", "440104", "1100", "2024-07-01", "", ""]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=people.county1)
    assert result.created == 1
    rejected = errors_by_row(result)
    assert set(rejected) == {2, 4}
    assert "无权" in rejected[2]["message"] and "not allowed" in rejected[2]["message_en"]
    created = Parameter.objects.get(division_prefix="440106")
    assert created.created_by == people.county1


def test_a_forbidden_division_is_reported_in_the_division_column(seeded, people, tmp_path):
    result = parameters_import(write_csv(tmp_path / "p.csv", [GOOD[0]]), actor=people.county1)
    assert result.errors[0]["column"] == "区划"


def test_an_end_before_the_start_is_reported_in_the_end_column(seeded, tmp_path):
    rows = [["dibao_urban_fen", "44", "950", "2024-07-01", "2024-01-01", ""]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert result.errors[0]["column"] == "截止日期"
    assert "valid_to must be after valid_from" in result.errors[0]["message_en"]


@pytest.mark.parametrize("day", ["2024/7/1", "2024年7月1日", "2024.7.1"])
def test_dates_as_excel_and_people_write_them(seeded, tmp_path, day):
    rows = [["dibao_urban_fen", "44", "950", day, "", ""]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert result.errors == []
    assert looked_up("dibao_urban_fen", "440106", D(2024, 7, 1)) == (95000, "44")


def test_slashes_with_two_digit_months_are_read(seeded, tmp_path):
    rows = [["dibao_urban_fen", "44", "950", "2024/07/01", "2025/01/01", ""]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert result.errors == []
    assert Parameter.objects.get(division_prefix="44").valid_to == D(2025, 1, 1)


def test_an_absurdly_large_value_is_a_row_error(seeded, tmp_path):
    rows = [["dibao_urban_fen", "44", "1" + "0" * 20, "2024-01-01", "", ""], GOOD[1]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert [e["row"] for e in result.errors] == [2] and result.created == 1


def test_infinity_is_a_row_error(seeded, tmp_path):
    rows = [["dibao_urban_fen", "44", "Infinity", "2024-01-01", "", ""], GOOD[1]]
    result = parameters_import(write_csv(tmp_path / "p.csv", rows), actor=None)
    assert [e["row"] for e in result.errors] == [2] and result.created == 1


def test_a_missing_column_rejects_the_file_at_the_header(seeded, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["dibao_urban_fen", "44"]], headers=["参数", "区划"])
    result = parameters_import(path, actor=None)
    assert result.rows == 0 and len(result.errors) == 1
    err = result.errors[0]
    assert (err["row"], err["column"]) == (1, "取值、起始日期")
    assert "缺少列" in err["message"] and "value, valid_from" in err["message_en"]
    assert Parameter.objects.count() == seeded  # nothing new


@pytest.mark.parametrize(
    ("name", "content", "en"),
    [
        ("p.pdf", b"%PDF-1.4", "only .xls, .xlsx and .csv"),
        ("p.xlsx", b"not a zip", "cannot read the Excel file"),
        ("p.csv", b"\xff\xfe\xfa\xfb\x81\x30", "cannot decode"),
    ],
)
def test_an_unreadable_file_is_one_error_on_row_0(seeded, tmp_path, name, content, en):
    path = tmp_path / name
    path.write_bytes(content)
    result = parameters_import(path, actor=None)
    assert result.rows == 0 and [e["row"] for e in result.errors] == [0]
    assert en in result.errors[0]["message_en"] and result.errors[0]["message"]


def test_a_missing_file_is_reported(db, tmp_path):
    result = parameters_import(tmp_path / "nope.csv", actor=None)
    assert "file not found" in result.errors[0]["message_en"]


# --- export --------------------------------------------------------------------------------
def test_export_rows_are_in_display_units_with_title_and_unit(ladder):
    rows = [r for r in export_rows() if r[0] == "dibao_urban_fen"]
    assert rows == [
        ["dibao_urban_fen", "", "706.60", "2020-01-01", "", "全国默认值（示例数据）", "城市低保标准", "元/人·月"],
        ["dibao_urban_fen", "44", "950.00", "2024-01-01", "", "粤民规〔2023〕1号", "城市低保标准", "元/人·月"],
        ["dibao_urban_fen", "440106", "1200.00", "2024-07-01", "", "穗天民〔2024〕7号", "城市低保标准", "元/人·月"],
    ]  # fmt: skip
    assert [*COLUMNS, "名称", "单位"] == HEADERS


def test_export_for_a_division_keeps_its_parents_and_leaves_out_siblings(ladder, tmp_path):
    from minzheng.assistance.parameters import parameter_set

    parameter_set(
        actor=None, name="dibao_urban_fen", division_prefix="440104", value=110000,
        valid_from=D(2024, 7, 1),
    )  # fmt: skip
    prefixes = {r[1] for r in export_rows("440106001")}
    assert prefixes == {"", "44", "440106"}
    assert {r[1] for r in export_rows("440104")} == {"", "44", "440104"}
    assert {r[1] for r in export_rows()} == {"", "44", "440106", "440104"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(ladder, tmp_path, suffix):
    from minzheng.assistance.parameters import parameter_set

    parameter_set(
        actor=None, name="homes_max", division_prefix="4401", value=2,
        valid_from=D(2024, 1, 1), valid_to=D(2025, 1, 1),
    )  # fmt: skip
    parameter_set(
        actor=None, name="dibao_urban_fen", division_prefix="44", value=98000,
        valid_from=D(2025, 1, 1),
    )  # fmt: skip
    out = tmp_path / f"参数{suffix}"
    n = parameters_export(out, division="")
    assert n == Parameter.objects.count()
    before = parameter_rows()
    result = parameters_import(out, actor=None)
    assert result.errors == []
    assert (result.rows, result.unchanged, result.created, result.corrected) == (n, n, 0, 0)
    assert parameter_rows() == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_export_rebuilds_the_same_rows_in_an_empty_table(ladder, tmp_path, suffix):
    out = tmp_path / f"参数{suffix}"
    parameters_export(out)
    before, shown = parameter_rows(), export_rows()
    Parameter.objects.all().delete()
    result = parameters_import(out, actor=None)
    assert result.errors == [] and result.created == len(before)
    assert (parameter_rows(), export_rows()) == (before, shown)


def test_an_xlsx_round_trip_keeps_notes_that_look_like_formulas(seeded, tmp_path):
    from minzheng.assistance.parameters import parameter_set

    parameter_set(
        actor=None, name="dibao_urban_fen", division_prefix="44", value=95000,
        valid_from=D(2024, 1, 1), note="-",
    )  # fmt: skip
    out = tmp_path / "p.xlsx"
    parameters_export(out, division="44")
    result = parameters_import(out, actor=None)
    assert result.corrected == 0
    assert Parameter.objects.get(division_prefix="44").note == "-"


def test_a_csv_round_trip_guards_and_keeps_notes_that_look_like_formulas(seeded, tmp_path):
    from minzheng.assistance.parameters import parameter_set

    note = "=cmd|' /C calc'!A0"
    parameter_set(
        actor=None, name="dibao_urban_fen", division_prefix="44", value=95000,
        valid_from=D(2024, 1, 1), note=note,
    )  # fmt: skip
    out = tmp_path / "p.csv"
    parameters_export(out, division="44")
    cells = [c for r in csv.reader(out.open(encoding="utf-8-sig")) for c in r]
    assert "'" + note in cells and note not in cells
    assert "950.00" in cells  # numbers stay numbers
    result = parameters_import(out, actor=None)
    assert (result.corrected, result.errors) == (0, [])
    assert Parameter.objects.get(division_prefix="44").note == note


def test_the_csv_export_has_a_bom_for_excel(ladder, tmp_path):
    out = tmp_path / "p.csv"
    parameters_export(out, division="440106")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0]
    assert header == "参数,区划,取值,起始日期,截止日期,依据,名称,单位"


def test_reimporting_a_file_with_a_capped_end_changes_nothing(seeded, tmp_path):
    rows = [
        ["dibao_urban_fen", "44", "980", "2025-01-01", "", ""],
        ["dibao_urban_fen", "44", "950", "2024-01-01", "2025-12-31", ""],
    ]
    path = write_csv(tmp_path / "p.csv", rows)
    assert parameters_import(path, actor=None).created == 2
    again = parameters_import(path, actor=None)
    assert (again.unchanged, again.corrected) == (2, 0)
    assert looked_up("dibao_urban_fen", "440106", D(2025, 6, 1)) == (98000, "44")

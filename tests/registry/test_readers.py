"""Reading spreadsheets: what is refused as a whole, what arrives as a bad cell, which sheet."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from bench.inputs.xlsx import (
    RawCell,
    RawSheet,
    WorkbookSpec,
    openpyxl_bytes,
    raw_xlsx,
    sheet_xml,
    sst_xml,
)
from minzheng.registry.importing import readers
from minzheng.registry.importing.readers import BadCell, UnreadableFile, sheets
from minzheng.registry.importing.service import registry_import
from minzheng.registry.importing.values import BadValue, code_text, text
from minzheng.registry.models import Person
from tests.registry.sheets import HEADERS, write_csv
from tests.registry.test_import import family


def read(path: Path) -> list[tuple[str, list[str], list[tuple[int, list]]]]:
    return [(s.name, s.headers, list(s.rows)) for s in sheets(path)]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- CSV ----------------------------------------------------------------------------------
def test_cr_only_line_endings_are_read_as_lines(tmp_path):
    # given a "CSV (Macintosh)" file, as Excel for Mac saves it
    path = write(tmp_path / "mac.csv", b"a,b\rc,d\re,f\r")
    # then it reads like any other
    assert read(path) == [("mac.csv", ["a", "b"], [(2, ["c", "d"]), (3, ["e", "f"])])]


@pytest.mark.parametrize(
    "data",
    [
        "a,b\r\nc,d\r\n".encode("utf-16-le"),
        "a,b\r\nc,d\r\n".encode("utf-16"),
        "a,b\r\n".encode("utf-32-le"),
        b"a,b\r\nc,\x00d\r\n",
    ],
    ids=["utf16-no-bom", "utf16-bom", "utf32-no-bom", "nul"],
)
def test_nul_characters_refuse_the_file_in_both_languages(tmp_path, data):
    with pytest.raises(UnreadableFile) as got:
        read(write(tmp_path / "n.csv", data))
    assert "UTF-8" in got.value.message and "UTF-8" in got.value.message_en


def test_a_cell_longer_than_excel_allows_is_a_bad_cell_not_a_crash(tmp_path):
    huge = "a" * (readers.MAX_CELL_CHARS + 1)
    path = write(tmp_path / "h.csv", f"x,y\r\n1,{huge}\r\n2,{'b' * 200_000}\r\n".encode())
    ((_, _, rows),) = read(path)
    assert isinstance(rows[0][1][1], BadCell) and rows[0][1][1] == huge
    assert "32767" in rows[0][1][1].reason_en
    with pytest.raises(BadValue):
        text(rows[0][1][1])
    assert isinstance(rows[1][1][1], BadCell)  # past csv's default field limit: no csv.Error


def test_a_huge_cell_rejects_its_row_and_column_and_the_others_land(db, actor, tmp_path):
    rows = family()
    rows[1]["居住地址"] = "张" * 400_000
    report = registry_import(actor=actor, path=write_csv(tmp_path / "a.csv", rows))
    assert [(e.row, e.column) for e in report.errors] == [(3, "居住地址")]
    assert "超过最大长度" in report.errors[0].reason
    assert Person.objects.count() == 2


def test_digits_of_other_scripts_become_ascii_in_codes():
    assert code_text("４４０１０６") == "440106"
    assert code_text("٤٤٠١٠٦") == "440106"
    assert code_text("²²") == "22"


# --- .xlsx cells -----------------------------------------------------------------------------
def xlsx(tmp_path: Path, rows: list[list], shared: bytes | None = None) -> Path:
    return write(tmp_path / "r.xlsx", raw_xlsx([RawSheet("s", sheet_xml(rows))], shared))


@pytest.mark.parametrize(
    ("cell", "shared"),
    [
        (RawCell("s", "99999"), sst_xml(["共享"])),  # past the shared-string table
        (RawCell("s", "-1"), sst_xml(["共享"])),  # would silently read the last string
        (RawCell("s", "0"), None),  # no table at all
        (RawCell("n", "12x"), None),  # a number cell holding text
        (RawCell("n", "1e400"), None),  # infinity
        (RawCell("d", "2024-99-99"), None),
        (RawCell("e", "#REF!"), None),
    ],
    ids=["past-end", "negative", "no-table", "text-number", "inf", "bad-date", "error"],
)
def test_an_unreadable_xlsx_cell_arrives_as_a_bad_cell(tmp_path, cell, shared):
    ((_, headers, rows),) = read(xlsx(tmp_path, [["a", "b"], ["x", cell], ["y", "z"]], shared))
    assert headers == ["a", "b"]
    assert [n for n, _ in rows] == [2, 3]
    bad = rows[0][1][1]
    assert isinstance(bad, BadCell) and bad.reason and bad.reason_en
    assert rows[1][1] == ["y", "z"]


def test_a_bad_xlsx_cell_rejects_its_row_and_column_and_the_others_land(db, actor, tmp_path):
    lines = [[r[h] for h in HEADERS] for r in family()]
    lines[1][HEADERS.index("姓名")] = RawCell("s", "99999")
    path = xlsx(tmp_path, [HEADERS, *lines], sst_xml(["x"]))
    report = registry_import(actor=actor, path=path)
    assert [(e.row, e.column) for e in report.errors] == [(3, "姓名")]
    assert Person.objects.count() == 2


def test_a_sheet_broken_half_way_is_refused_before_any_row(tmp_path):
    good = sheet_xml([["a"], *[[f"v{i}"] for i in range(50)]])
    path = write(tmp_path / "cut.xlsx", raw_xlsx([RawSheet("s", good[: len(good) // 2])]))
    with pytest.raises(UnreadableFile) as got:
        next(sheets(path))
    assert got.value.message and got.value.message_en


def test_a_dtd_in_a_part_is_refused(tmp_path):
    doc = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet/>'
    with pytest.raises(UnreadableFile):
        read(write(tmp_path / "d.xlsx", raw_xlsx([RawSheet("s", doc)])))


# --- zip bombs -------------------------------------------------------------------------------
def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_member_inflating_absurdly_is_refused_without_inflating_it(tmp_path):
    path = write(tmp_path / "b.xlsx", zip_of({"xl/worksheets/sheet1.xml": b" " * (64 << 20)}))
    start = time.perf_counter()
    with pytest.raises(UnreadableFile) as got:
        read(path)
    assert time.perf_counter() - start < 1
    assert "压缩炸弹" in got.value.message and "zip bomb" in got.value.message_en


def test_too_much_in_all_or_too_many_parts_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path / "t.xlsx", openpyxl_bytes(WorkbookSpec([["a"], ["b"]])))
    assert read(path)[0][1] == ["a"]
    monkeypatch.setattr(readers, "MAX_INFLATED_BYTES", 1000)
    with pytest.raises(UnreadableFile, match="上限"):
        read(path)
    monkeypatch.setattr(readers, "MAX_INFLATED_BYTES", 200 << 20)
    monkeypatch.setattr(readers, "MAX_MEMBERS", 3)
    with pytest.raises(UnreadableFile, match="个文件"):
        read(path)


# --- hidden sheets ---------------------------------------------------------------------------
def test_hidden_sheets_are_skipped(tmp_path):
    spec = WorkbookSpec([["a"], ["visible"]], title="数据", hidden_before=[["a"], ["old"]])
    path = write(tmp_path / "h.xlsx", openpyxl_bytes(spec))
    assert read(path) == [("数据", ["a"], [(2, ["visible"])])]


def test_an_old_copy_in_a_hidden_sheet_does_not_replace_the_data(db, actor, tmp_path):
    lines = [[r[h] for h in HEADERS] for r in family()]
    stale = [[*r[:1], "旧" + r[1], *r[2:]] for r in lines[:1]]
    spec = WorkbookSpec([HEADERS, *lines], hidden_before=[HEADERS, *stale])
    report = registry_import(actor=actor, path=write(tmp_path / "f.xlsx", openpyxl_bytes(spec)))
    assert (report.sheet, report.created) == ("Sheet1", 3)
    assert not Person.objects.filter(name__startswith="旧").exists()


def test_a_row_without_an_r_attribute_counts_on(tmp_path):
    doc = sheet_xml([["a"], ["x"]]).replace(b'<row r="2">', b"<row>")
    ((_, _, rows),) = read(write(tmp_path / "n.xlsx", raw_xlsx([RawSheet("s", doc)])))
    assert rows == [(2, ["x"])]

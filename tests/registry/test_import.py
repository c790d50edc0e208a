"""Registry import: every error class, encodings, idempotence and crash safety."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.identity.resident_id import make_id
from minzheng.registry.importing.readers import UnreadableFile
from minzheng.registry.importing.service import registry_import
from minzheng.registry.models import Household, Income, Membership, Person
from tests.conftest import ids
from tests.registry.sheets import HEADERS, row, write_csv, write_xlsx

D1 = dt.date(2024, 7, 1)
D2 = dt.date(2024, 8, 1)


def family(ref: str = "H1", base: int = 0, hukou: str = "440106001") -> list[dict[str, str]]:
    a, b, c = ids(3, year=1960 + base)
    return [
        row(ref, "张伟", a, "02", hukou, "800"),
        row(ref, "李娜", b, "10", hukou, "600"),
        row(ref, "张小明", c, "20", hukou, "0", labour="无劳动能力"),
    ]


def run(path: Path, actor, on: dt.date = D1, **kw):  # type: ignore[no-untyped-def]
    return registry_import(actor=actor, path=path, as_of=on, **kw)


def errors_by_row(report) -> dict[int, list[dict]]:  # type: ignore[no-untyped-def]
    out: dict[int, list[dict]] = {}
    for e in report.as_dict()["errors"]:
        out.setdefault(e["row"], []).append(e)
    return out


def test_a_clean_file_lands_whole(db, actor, tmp_path):
    r = run(write_csv(tmp_path / "a.csv", family()), actor)
    assert (r.created, r.updated, r.unchanged, r.rejected) == (3, 0, 0, 0)
    hh = Household.objects.get(ref="H1")
    assert hh.head.name == "张伟"
    assert hh.members.count() == 3
    son = Person.objects.get(name="张小明")
    assert son.relationship == "20" and son.pinyin == "zhang xiao ming"
    assert Income.objects.get(person__name="张伟").monthly_fen == 80000
    assert (
        AuditEvent.objects.filter(action="create", object_type="person", actor=actor).count() == 3
    )


def test_reimport_is_a_no_op(db, actor, tmp_path):
    path = write_csv(tmp_path / "a.csv", family() + family("H2", 1))
    run(path, actor)
    counts = [m.objects.count() for m in (Household, Person, Membership, Income)]
    audits = AuditEvent.objects.count()
    again = run(path, actor, D2)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 6, 0)
    assert [m.objects.count() for m in (Household, Person, Membership, Income)] == counts
    assert AuditEvent.objects.count() == audits


def test_one_changed_income_is_one_update_with_history(db, actor, tmp_path):
    rows = family()
    run(write_csv(tmp_path / "a.csv", rows), actor)
    rows[1]["月收入"] = "650.50"
    r = run(write_csv(tmp_path / "b.csv", rows), actor, D2)
    assert (r.created, r.updated, r.unchanged) == (0, 1, 2)
    history = Income.objects.filter(person__name="李娜").order_by("valid_from")
    assert [(i.monthly_fen, i.valid_from, i.valid_to) for i in history] == [
        (60000, D1, D2),
        (65050, D2, None),
    ]
    assert Income.objects.as_of(D1).get(person__name="李娜").monthly_fen == 60000


def test_same_rows_in_another_order_are_unchanged(db, actor, tmp_path):
    rows = family() + family("H2", 1)
    run(write_csv(tmp_path / "a.csv", rows), actor)
    r = run(write_csv(tmp_path / "b.csv", list(reversed(rows))), actor, D2)
    assert (r.created, r.updated, r.unchanged) == (0, 0, 6)


def test_gbk_and_bom_files_are_read(db, actor, tmp_path):
    r1 = run(write_csv(tmp_path / "gbk.csv", family("G1"), encoding="gbk"), actor)
    r2 = run(write_csv(tmp_path / "bom.csv", family("B1", 2), encoding="utf-8-sig"), actor)
    assert r1.created == 3 and r2.created == 3
    assert Household.objects.get(ref="G1").head.name == "张伟"


def test_english_headers_are_accepted(db, actor, tmp_path):
    en = ["household_ref", "name", "id_number", "relationship", "hukou_division", "monthly_income"]
    zh = ["户编号", "姓名", "公民身份号码", "与户主关系", "户籍地行政区划代码", "月收入"]
    rows = [{e: r[z] for e, z in zip(en, zh, strict=True)} for r in family()]
    assert run(write_csv(tmp_path / "en.csv", rows, headers=en), actor).created == 3


def test_excel_number_ids_are_rejected_with_the_fix(db, actor, tmp_path):
    a, b = ids(2)
    rows: list[dict[str, object]] = [row("X1", "王芳", a), row("X1", "王强", b, "20")]
    rows[1]["公民身份号码"] = float(b[:17])  # what Excel does to an ID in a general cell
    r = run(write_xlsx(tmp_path / "x.xlsx", rows, leading_sheet=True), actor)
    assert r.created == 1 and r.rejected == 1
    err = errors_by_row(r)[3][0]
    assert err["column"] == "公民身份号码"
    assert err["reason"] == "身份证号被转换为数字，请将该列设置为文本后重新填写"
    csv_rows = [row("X2", "赵六", "4.40106E+17")]
    assert errors_by_row(run(write_csv(tmp_path / "x.csv", csv_rows), actor))[2][0]["reason"] == (
        "身份证号被转换为数字，请将该列设置为文本后重新填写"
    )


def test_every_error_class_is_reported_with_row_column_and_reason(db, actor, tmp_path):
    good = ids(12)
    bad_check = good[1][:17] + ("0" if good[1][17] != "0" else "1")
    future = make_id("440106", dt.date.today() + dt.timedelta(days=30), 1)
    rows = [
        row("E1", "户主甲", good[0]),  # 2 ok
        row("E1", "乙", bad_check, "10"),  # 3 check digit
        row("E1", "丙", future, "20"),  # 4 future birth
        row("E1", "丁", good[3], "20", hukou="449999"),  # 5 unknown division
        row("E1", "戊", good[4], "不知道"),  # 6 relationship
        row("E1", "己", good[5], "20", urban="郊区"),  # 7 urban/rural
        row("E1", "庚", good[6], "20", income="八百"),  # 8 income
        row("E1", "辛", good[7], "20", grade="2"),  # 9 grade without category
        row("E1", "", good[8], "20"),  # 10 missing name
        row("E1", "壬", good[0], "20"),  # 11 duplicate ID in file
        row("E1", "癸", good[9], "02"),  # 12 second head
        row("E1", "子", good[10], "20", category="视力", grade="5"),  # 13 grade 5
    ]
    r = run(write_csv(tmp_path / "e.csv", rows), actor)
    errs = errors_by_row(r)
    expected_columns = {
        3: "公民身份号码",
        4: "公民身份号码",
        5: "户籍地行政区划代码",
        6: "与户主关系",
        7: "城乡类别",
        8: "月收入",
        9: "残疾类别",
        10: "姓名",
        11: "公民身份号码",
        12: "与户主关系",
        13: "残疾等级",
    }
    assert {n: e[0]["column"] for n, e in errs.items()} == expected_columns
    assert "应为" in errs[3][0]["reason"]
    assert all(e["reason"] and e["reason_en"] for es in errs.values() for e in es)
    assert (r.created, r.rejected) == (1, 11)


def test_id_already_in_another_household_is_rejected(db, actor, tmp_path):
    rows = family("H1")
    run(write_csv(tmp_path / "a.csv", rows), actor)
    moved = dict(rows[2], 户编号="H9", 与户主关系="02")
    r = run(write_csv(tmp_path / "b.csv", [moved]), actor)
    assert r.rejected == 1
    assert "H1" in r.errors[0].reason and r.errors[0].column == "公民身份号码"
    assert Person.objects.get(name="张小明").household.ref == "H1"


def test_retired_hukou_code_is_mapped_with_a_note(db, actor, tmp_path):
    r = run(write_csv(tmp_path / "a.csv", [row("R1", "钱七", ids(1)[0], hukou="440102")]), actor)
    assert r.created == 1 and r.notes and "已撤销" in r.notes[0].reason
    hh = Household.objects.get(ref="R1")
    assert hh.hukou_division.is_current and hh.hukou_division.code.startswith("4401")


def test_household_lands_flagged_when_its_head_is_rejected(db, actor, tmp_path):
    rows = family("F1")
    rows[0]["户籍地行政区划代码"] = "999999"
    r = run(write_csv(tmp_path / "a.csv", rows), actor)
    assert (r.created, r.rejected) == (2, 1)
    hh = Household.objects.get(ref="F1")
    assert hh.needs_review and hh.head is None and hh.members.count() == 2


def test_person_without_id_uses_birth_date_in_chinese_format(db, actor, tmp_path):
    rows = family("N1")
    baby = row("N1", "张宝宝", "", "20", income="")
    baby["出生日期"] = "2024年6月1日"
    path = write_csv(tmp_path / "a.csv", [*rows, baby], headers=[*HEADERS, "出生日期"])
    assert run(path, actor).created == 4
    p = Person.objects.get(name="张宝宝")
    assert (
        p.id_number is None
        and p.id_status == "unregistered"
        and p.birth_date == dt.date(2024, 6, 1)
    )
    assert run(path, actor, D2).unchanged == 4  # matched by household and name


def test_crash_mid_import_leaves_no_half_written_household(db, actor, tmp_path):
    rows = family("C1") + family("C2", 1) + family("C3", 2)
    path = write_csv(tmp_path / "a.csv", rows)

    def explode(ref: str) -> None:
        if ref == "C2":
            raise RuntimeError("injected crash")

    with pytest.raises(RuntimeError):
        run(path, actor, chunk_rows=3, before_household=explode)
    assert set(Household.objects.values_list("ref", flat=True)) == {"C1"}
    assert Person.objects.count() == 3
    again = run(path, actor)
    assert (again.created, again.unchanged) == (6, 3)


def test_unreadable_files_raise(db, actor, tmp_path):
    bad = tmp_path / "a.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(UnreadableFile):
        run(bad, actor)
    with pytest.raises(UnreadableFile) as exc:
        run(write_csv(tmp_path / "h.csv", [{"姓名": "x"}], headers=["姓名"]), actor)
    assert "户编号" in exc.value.message


def test_xls_files_are_read(db, actor, tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("数据")
    for c, h in enumerate(HEADERS):
        ws.write(0, c, h)
    for r, values in enumerate(family("XLS"), start=1):
        for c, h in enumerate(HEADERS):
            ws.write(r, c, values[h])
    wb.save(str(tmp_path / "a.xls"))
    assert run(tmp_path / "a.xls", actor).created == 3


def test_template_round_trip(db, actor, tmp_path):
    from openpyxl import load_workbook

    from minzheng.registry.importing.template import write_template

    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["导入数据"]
    assert [c.value for c in ws[1]][:3] == ["户编号", "姓名", "公民身份号码"]
    assert ws["C2"].number_format == "@" and ws.freeze_panes == "A2"
    assert len(ws.data_validations.dataValidation) >= 3
    assert "填表说明" in wb.sheetnames
    for r, values in enumerate(family("T1"), start=2):
        for c, h in enumerate(HEADERS, start=1):
            ws.cell(row=r, column=c, value=values[h])
    wb.save(path)
    assert run(path, actor).created == 3


def test_a_named_user_imports_only_inside_their_jurisdiction(db, tmp_path):
    from tests.conftest import make_user

    town1 = make_user("imp-town1", "440106001", "caseworker")
    county2 = make_user("imp-county2", "440104", "approver")
    a, b, c = ids(3, year=1970)
    rows = [
        row("J1", "本街道", a, hukou="440106001"),
        row("J2", "外区", b, hukou="440104003"),
        row("J3", "户籍外区居住本街道", c, hukou="440104003", residence="440106001"),
    ]
    r = run(write_csv(tmp_path / "a.csv", rows), town1)
    assert (r.created, r.rejected) == (2, 1)
    assert r.errors[0].row == 3 and "辖区" in r.errors[0].reason
    # county 2 may not overwrite town1's household by reusing its ref ...
    hijack = [row("J1", "冒名", ids(4, year=1980)[3], hukou="440104003")]
    r2 = run(write_csv(tmp_path / "b.csv", hijack), county2)
    assert r2.rejected == 1 and "其他地区" in r2.errors[0].reason
    # ... nor learn where an ID number is registered.
    moved = [row("K1", "本街道", a, hukou="440104003")]
    r3 = run(write_csv(tmp_path / "c.csv", moved), county2)
    assert r3.rejected == 1 and "J1" not in r3.errors[0].reason
    assert Household.objects.get(ref="J1").members.get().name == "本街道"


def test_text_longer_than_its_column_is_a_row_error(db, actor, tmp_path):
    # given a file whose text cells exceed their columns (PostgreSQL would fail the chunk)
    rows = family() + family("H2", 1) + family("H3", 2)
    rows[0]["姓名"] = "张" * 51  # Person.name: 50
    rows[3]["户编号"] = rows[4]["户编号"] = rows[5]["户编号"] = "H" * 65  # Household.ref: 64
    rows[6]["居住地址"] = "路" * 201  # Household.address: 200
    rows[7]["联系电话"] = "1" * 31  # Person.phone: 30
    report = run(write_csv(tmp_path / "long.csv", rows), actor)
    got = {(e.row, e.column, e.reason_en) for e in report.errors if "longer" in e.reason_en}
    assert got == {
        (2, "姓名", "longer than 50 characters"),
        *((n, "户编号", "longer than 64 characters") for n in (5, 6, 7)),
        (8, "居住地址", "longer than 200 characters"),
        (9, "联系电话", "longer than 30 characters"),
    }
    assert all("超过最大长度" in e.reason for e in report.errors if "longer" in e.reason_en)
    assert Person.objects.filter(name="张小明", household__ref="H3").exists()  # the rest land


def test_a_long_name_within_its_column_keeps_its_search_keys_within_theirs(db, actor, tmp_path):
    from minzheng.identity.names import name_pinyin

    name = "阿卜杜热合曼" * 8  # 48 characters: fits 姓名, but its pinyin would not
    report = run(write_csv(tmp_path / "a.csv", [row("H1", name, ids(1)[0])]), actor)
    assert report.created == 1
    person = Person.objects.get()
    assert person.name == name
    assert len(person.name_key) <= 60 and len(person.pinyin) <= 120
    assert person.pinyin == name_pinyin(name)[:120]

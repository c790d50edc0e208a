"""Feed import: reporting, idempotence, updates, duplicates, formats and crash safety."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from minzheng.accounts.models import AuditEvent
from minzheng.monitoring.feeds import store
from minzheng.monitoring.feeds.importing import feed_import
from minzheng.monitoring.feeds.kinds import KindError, kind
from minzheng.monitoring.models import FeedBatch, FeedRecord
from minzheng.registry.importing.readers import UnreadableFile
from tests.conftest import ids, make_user
from tests.monitoring.feeds import (
    MEDICAL,
    medical,
    write_csv,
    write_parquet,
    write_xlsx,
)

TODAY = dt.date(2024, 8, 1)


def run(path: Path, actor, kind: str = "medical", **kw):  # type: ignore[no-untyped-def]
    return feed_import(kind=kind, path=path, actor=actor, today=TODAY, **kw)


def rows(n: int, start: int = 0) -> list[dict]:
    return [medical(f"S{start + i}", num) for i, num in enumerate(ids(n, year=1950 + start % 30))]


def test_good_rows_land_typed(db, actor, tmp_path):
    (num,) = ids(1)
    r = run(write_csv(tmp_path / "m.csv", [medical("S1", num, diagnosis="肺炎")]), actor)
    assert (r.rows, r.created, r.rejected) == (1, 1, 0)
    rec = FeedRecord.objects.get(kind="medical", source_key="S1")
    assert rec.id_valid and rec.id_number == num and rec.name == "张伟"
    assert rec.sex == "2" and rec.birth_date == dt.date(1960, 1, 1)  # filled from the ID
    assert rec.division_code == "440106001000" and rec.division.code == "440106001000"
    assert rec.event_date == dt.date(2024, 7, 1)
    assert rec.payload == {
        "total_fen": 100050,
        "out_of_pocket_fen": 30000,
        "visit_type": "住院",
        "diagnosis": "肺炎",
    }
    assert rec.link_method == "none" and rec.person is None and rec.batch_id == r.batch


def test_bad_rows_are_reported_bilingually_and_good_rows_land(db, actor, tmp_path):
    a, b, c = ids(3)
    data = [
        medical("S1", a),
        medical("S2", b, on="2024-02-30", own="很多"),
        medical("", c, name=""),
        medical("S4", c, visit="急诊"),
    ]
    r = run(write_csv(tmp_path / "m.csv", data), actor)
    assert (r.rows, r.created, r.rejected) == (4, 1, 3)
    errs = r.as_dict()["errors"]
    got = {(e["row"], e["column"]) for e in errs}
    assert got == {(3, "结算日期"), (3, "个人自付"), (4, "姓名"), (4, "结算单号"), (5, "就诊类型")}
    name_err = next(e for e in errs if e["column"] == "姓名")
    assert name_err["reason"] == "姓名不能为空" and name_err["reason_en"] == "name is required"
    assert FeedRecord.objects.count() == 1


def test_invalid_or_missing_ids_are_kept_for_linkage(db, actor, tmp_path):
    (num,) = ids(1)
    bad = num[:-1] + ("0" if num[-1] != "0" else "1")
    data = [
        medical("S1", bad, sex="男", born="1960-01-01"),
        medical("S2", ""),
        medical("S3", "4.40106196001011E+17"),
    ]
    r = run(write_csv(tmp_path / "m.csv", data), actor)
    assert (r.created, r.rejected, r.id_invalid) == (3, 0, 3)
    rec = FeedRecord.objects.get(source_key="S1")
    assert not rec.id_valid and rec.id_number == bad and rec.sex == "1"
    assert FeedRecord.objects.get(source_key="S2").id_number == ""
    notes = {n["row"]: n for n in r.as_dict()["notes"]}
    assert set(notes) == {2, 4} and "已保留" in notes[2]["reason"]
    assert "kept for linkage" in notes[4]["reason_en"]


def test_reimport_changes_nothing(db, actor, tmp_path):
    path = write_csv(tmp_path / "m.csv", rows(5))
    first = run(path, actor)
    stamps = dict(FeedRecord.objects.values_list("source_key", "updated_at"))
    again = run(path, actor)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert dict(FeedRecord.objects.values_list("source_key", "updated_at")) == stamps
    assert set(FeedRecord.objects.values_list("batch", flat=True)) == {first.batch}


def test_a_changed_row_updates_and_a_changed_identity_unlinks(db, actor, tmp_path, world):
    data = rows(3)
    run(write_csv(tmp_path / "a.csv", data), actor)
    person = world.persons["t1"][0]
    FeedRecord.objects.update(person=person, link_method="exact", linked_at=timezone.now())
    data[0]["个人自付"] = "350.00"  # an amount corrected: the link stands
    data[1]["姓名"] = "张卫"  # the identity changed: link again
    r = run(write_csv(tmp_path / "b.csv", data), actor)
    assert (r.created, r.updated, r.unchanged) == (0, 2, 1)
    s0, s1, s2 = (FeedRecord.objects.get(source_key=f"S{i}") for i in range(3))
    assert s0.payload["out_of_pocket_fen"] == 35000 and s0.person == person
    assert s0.batch_id == r.batch and s2.batch_id != r.batch
    assert s1.name == "张卫" and s1.person is None and s1.link_method == "none"
    assert s2.person == person


def test_the_same_key_twice_in_a_file_is_a_rejected_duplicate(db, actor, tmp_path):
    a, b = ids(2)
    r = run(write_csv(tmp_path / "m.csv", [medical("S1", a), medical("S1", b)]), actor)
    assert (r.created, r.rejected) == (1, 1)
    (err,) = r.as_dict()["errors"]
    assert err["row"] == 3 and err["column"] == "结算单号" and "第 2 行" in err["reason"]
    assert FeedRecord.objects.get().id_number == a


@pytest.mark.parametrize("fmt", ["xlsx", "gb18030", "utf-8-sig", "parquet"])
def test_every_format_reads_the_same(db, actor, tmp_path, fmt):
    data = rows(3)
    data[0]["姓名"] = "欧阳䶮"  # a name outside GBK, inside GB18030
    if fmt == "xlsx":
        path = write_xlsx(tmp_path / "m.xlsx", data)
    elif fmt == "parquet":
        path = write_parquet(tmp_path / "m.parquet", data)
    else:
        path = write_csv(tmp_path / "m.csv", data, encoding=fmt)
    r = run(path, actor)
    assert (r.created, r.rejected) == (3, 0), r.as_dict()["errors"]
    assert FeedRecord.objects.get(source_key="S0").name == "欧阳䶮"
    assert FeedRecord.objects.get(source_key="S0").payload["total_fen"] == 100050


def test_parquet_keeps_its_types(db, actor, tmp_path):
    (num,) = ids(1)
    row = medical("S1", num, on=dt.date(2024, 7, 9), total=1234.5, own=12)
    r = run(write_parquet(tmp_path / "m.parquet", [row]), actor)
    assert r.created == 1, r.as_dict()["errors"]
    rec = FeedRecord.objects.get()
    assert rec.event_date == dt.date(2024, 7, 9) and rec.payload["total_fen"] == 123450


def test_excel_numbers_and_dates_in_xlsx(db, actor, tmp_path):
    (num,) = ids(1)
    row = medical("S1", num, on=dt.datetime(2024, 7, 9), division=440106001, total=99.9)
    r = run(write_xlsx(tmp_path / "m.xlsx", [row]), actor)
    assert r.created == 1, r.as_dict()["errors"]
    rec = FeedRecord.objects.get()
    assert rec.event_date == dt.date(2024, 7, 9) and rec.division_code == "440106001000"


def test_english_headers_are_accepted(db, actor, tmp_path):
    spec = kind("medical")
    english = {c.zh: c.name for c in spec.columns}
    data = [{english[k]: v for k, v in r.items()} for r in rows(2)]
    r = run(write_csv(tmp_path / "en.csv", data, headers=list(english.values())), actor)
    assert (r.created, r.rejected) == (2, 0)


def test_a_month_kind_dates_its_records_on_the_first(db, actor, tmp_path):
    spec = kind("wage_income")
    (num,) = ids(1)
    row = {
        "公民身份号码": num,
        "姓名": "王芳",
        "扣缴地区划代码": "440106",
        "所属月份": "2024年7月",
        "收入额": "4500",
        "申报记录号": "W1",
    }
    r = run(
        write_csv(tmp_path / "w.csv", [row], headers=[c.zh for c in spec.columns]),
        actor,
        "wage_income",
    )
    assert r.created == 1, r.as_dict()["errors"]
    rec = FeedRecord.objects.get(kind="wage_income")
    assert rec.event_date == dt.date(2024, 7, 1) and rec.payload == {"income_fen": 450000}


def test_keys_are_per_kind(db, actor, tmp_path):
    spec = kind("death")
    (num,) = ids(1)
    death = {
        "公民身份号码": num,
        "姓名": "张伟",
        "户籍地区划代码": "440106",
        "死亡日期": "2024-07-02",
        "死亡证明编号": "S0",
    }
    run(write_csv(tmp_path / "m.csv", rows(1)), actor)
    r = run(
        write_csv(tmp_path / "d.csv", [death], headers=[c.zh for c in spec.columns]), actor, "death"
    )
    assert r.created == 1 and FeedRecord.objects.filter(source_key="S0").count() == 2


def test_a_file_without_the_required_headers_is_unreadable(db, actor, tmp_path):
    path = write_csv(tmp_path / "m.csv", rows(1), headers=[h for h in MEDICAL if h != "结算单号"])
    with pytest.raises(UnreadableFile) as exc:
        run(path, actor)
    assert "结算单号" in exc.value.message
    with pytest.raises(UnreadableFile):
        run(tmp_path / "m.pdf", actor)
    with pytest.raises(KindError):
        run(path, actor, kind="nope")


def test_the_batch_records_provenance_counts_and_checksum(db, actor, tmp_path):
    import hashlib

    data = [*rows(3), medical("S0", "")]
    path = write_csv(tmp_path / "医保结算_202407.csv", data)
    r = run(path, actor)
    b = FeedBatch.objects.get(pk=r.batch)
    assert b.status == "done" and b.kind == "medical" and b.actor == actor
    assert b.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (b.rows, b.created, b.updated, b.unchanged, b.rejected) == (4, 3, 0, 0, 1)
    assert b.finished_at is not None and b.file_name == "医保结算_202407.csv"
    prov = b.report["provenance"]
    assert prov["department"] == "医疗保障局" and prov["imported_by"] == actor.username
    assert b.report["errors"][0]["row"] == 5
    assert AuditEvent.objects.filter(action="import", object_type="feedbatch").count() == 1


def test_a_crash_leaves_whole_chunks_and_a_rerun_completes(db, actor, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "m.csv", rows(25))
    real = store.ChunkWriter.insert
    calls = []

    def crash_on_third(self, rows):  # type: ignore[no-untyped-def]
        refused = real(self, rows)  # written, then the crash: the transaction must undo it
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return refused

    monkeypatch.setattr(store.ChunkWriter, "insert", crash_on_third)
    with pytest.raises(RuntimeError):
        run(path, actor, chunk_rows=10)
    assert FeedRecord.objects.count() == 20
    failed = FeedBatch.objects.get()
    assert failed.status == "failed" and (failed.created, failed.rows) == (20, 25)
    monkeypatch.setattr(store.ChunkWriter, "insert", real)
    r = run(path, actor, chunk_rows=10)
    assert (r.created, r.unchanged, r.rejected) == (5, 20, 0)
    assert FeedRecord.objects.count() == 25


def test_progress_is_reported(db, actor, tmp_path):
    seen: list[tuple[int, int]] = []
    run(
        write_csv(tmp_path / "m.csv", rows(12)),
        actor,
        chunk_rows=5,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (12, 12) and seen[0][1] == 12 and len(seen) >= 3


def test_unknown_division_codes_stay_national(db, actor, tmp_path):
    (num,) = ids(1)
    r = run(write_csv(tmp_path / "m.csv", [medical("S1", num, division="449999")]), actor)
    assert (r.created, r.rejected) == (1, 0)
    rec = FeedRecord.objects.get()
    assert rec.division is None and rec.division_code == "449999000000"
    assert "仅全国范围可见" in r.as_dict()["notes"][0]["reason"]


def test_a_county_user_imports_only_its_county(db, world, tmp_path):
    county = world.users["county1"]
    a, b, c = ids(3)
    data = [
        medical("S1", a, division="440106001"),
        medical("S2", b, division="440104003"),
        medical("S3", c, division="449999"),
    ]
    r = run(write_csv(tmp_path / "m.csv", data), county)
    assert (r.created, r.rejected) == (1, 2)
    assert {e["row"] for e in r.as_dict()["errors"]} == {3, 4}
    assert set(FeedRecord.objects.values_list("source_key", flat=True)) == {"S1"}
    assert list(FeedRecord.objects.visible_to(county).values_list("source_key", flat=True)) == [
        "S1"
    ]
    assert not FeedRecord.objects.visible_to(world.users["county2"]).exists()


def test_a_county_user_cannot_take_over_another_countys_record(db, world, tmp_path):
    (num,) = ids(1)
    run(
        write_csv(tmp_path / "a.csv", [medical("S1", num, division="440104003")]),
        world.users["nation"],
    )
    moved = [medical("S1", num, division="440106001")]
    r = run(write_csv(tmp_path / "b.csv", moved), world.users["county1"])
    assert (r.updated, r.rejected) == (0, 1)
    assert "其他地区" in r.as_dict()["errors"][0]["reason"]
    assert FeedRecord.objects.get().division_code == "440104003000"


def test_a_background_job_imports_an_upload(db, actor, tmp_path):
    from minzheng.jobs.models import Job
    from minzheng.monitoring.feeds.jobs import start_feed_import

    path = write_csv(tmp_path / "m.csv", rows(4))
    batch = FeedBatch.objects.create(kind="medical", file_name="上传.csv", actor=actor)
    job = start_feed_import(batch.pk, "medical", path, actor)
    job = Job.objects.get(pk=job.pk)
    batch.refresh_from_db()
    assert batch.status == "done" and batch.created == 4 and batch.report["file"] == "上传.csv"
    assert job.status == "SUCCESSFUL" and job.progress_done == 4


def test_a_background_job_records_an_unreadable_file(db, actor, tmp_path):
    from minzheng.monitoring.feeds.jobs import start_feed_import

    path = tmp_path / "m.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    batch = FeedBatch.objects.create(kind="medical", file_name="m.csv", actor=actor)
    start_feed_import(batch.pk, "medical", path, actor)
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.report["message_en"]


def test_a_scoped_user_without_division_imports_nothing(db, tmp_path):
    nobody = make_user("admin2", "", "sysadmin")
    r = run(write_csv(tmp_path / "m.csv", rows(2)), nobody)
    assert (r.created, r.rejected) == (0, 2)

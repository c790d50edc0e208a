"""Feed upload pages and the clerical review queue, as a caseworker uses them."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.urls import reverse

from minzheng.monitoring.models import ClericalPair, FeedBatch, FeedRecord, LinkMethod
from tests.monitoring.test_pass import record
from tests.world import login


def test_a_feed_file_uploaded_is_imported_in_the_background(world, client, tmp_path, monkeypatch):
    monkeypatch.setenv("MINZHENG_DATA_DIR", str(tmp_path))
    c = login(client, world.users["county1"])
    person = world.persons["t1"][0]
    body = (
        "公民身份号码,姓名,户籍地区划代码,死亡日期,死亡证明编号\n"
        f"{person.id_number},{person.name},440106001,2024-05-01,SW-1\n"
        f"{person.id_number},{person.name},440106001,不是日期,SW-2\n"
    ).encode()
    upload = io.BytesIO(body)
    upload.name = "死亡登记.csv"
    resp = c.post(reverse("monitoring:feeds"), {"kind": "death", "file": upload})
    batch = FeedBatch.objects.get()
    assert resp.url == reverse("monitoring:feed_batch", args=[batch.pk])
    assert (batch.status, batch.created, batch.rejected) == ("done", 1, 1)
    page = c.get(resp.url).content.decode()
    assert "导入成功 1 条，失败 1 条" in page and "死亡日期" in page
    assert FeedRecord.objects.get().source_key == "SW-1"
    # Someone else's batch is not theirs to see.
    other = login(client, world.users["county2"])
    assert other.get(reverse("monitoring:feed_batch", args=[batch.pk])).status_code == 404


def test_a_wrong_kind_or_file_type_is_refused_with_a_reason(world, client):
    c = login(client, world.users["county1"])
    upload = io.BytesIO(b"x")
    upload.name = "a.pdf"
    resp = c.post(reverse("monitoring:feeds"), {"kind": "death", "file": upload}, follow=True)
    assert "choose a .csv" in resp.content.decode() and not FeedBatch.objects.exists()
    resp = c.post(reverse("monitoring:feeds"), {"kind": "nope"}, follow=True)
    assert "nope" in resp.content.decode()


def test_the_template_of_a_kind_downloads(world, client):
    c = login(client, world.users["town1"])
    resp = c.get(reverse("monitoring:feed_template", args=["medical"]))
    book = openpyxl.load_workbook(io.BytesIO(resp.content))
    headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert "结算单号" in headers and "个人自付" in headers
    assert c.get(reverse("monitoring:feed_template", args=["nope"])).status_code == 404


def test_the_clerical_queue_links_a_record_when_the_caseworker_says_so(world, client):
    t1 = world.persons["t1"][0]
    rec = record("medical", None, dt.date(2024, 5, 1), out_of_pocket_fen=1, total_fen=1,
                 name="甲一", division_code="440106001000")  # fmt: skip
    FeedRecord.objects.filter(pk=rec.pk).update(division=t1.hukou_division)
    pair = ClericalPair.objects.create(feed_record=rec, person=t1, match_probability=0.8)
    other = login(client, world.users["town2"])
    assert "甲一" not in other.get(reverse("monitoring:clerical")).content.decode()
    assert other.post(reverse("monitoring:clerical_step", args=[pair.pk]),
                      {"same": "yes"}).status_code == 404  # fmt: skip
    c = login(client, world.users["town1"])
    page = c.get(reverse("monitoring:clerical")).content.decode()
    assert "甲一" in page and "0.800" in page and t1.id_number not in page
    c.post(reverse("monitoring:clerical_step", args=[pair.pk]), {"same": "yes"})
    rec.refresh_from_db()
    assert (rec.person_id, rec.link_method) == (t1.pk, LinkMethod.CLERICAL)
    assert ClericalPair.objects.get().status == ClericalPair.Status.ACCEPTED


def test_a_discovery_is_checked_by_the_county_and_closed_with_a_reason(world, client):
    from minzheng.monitoring.alerts import Discovery

    township = world.households["t1"].hukou_division
    found = Discovery.objects.create(rule="medical_burden", identity="X|1990-01-01|440106001000",
                                     name="院外甲", division=township, raised_on=dt.date(2024, 6, 30),
                                     amount_fen=2_500_000)  # fmt: skip
    elsewhere = login(client, world.users["county2"])
    assert "院外甲" not in elsewhere.get(reverse("monitoring:discoveries")).content.decode()
    step = reverse("monitoring:discovery_step", args=[found.pk])
    assert elsewhere.post(step, {"decision": "dismissed", "note": "x"}).status_code == 404
    town = login(client, world.users["town1"])
    assert "院外甲" in town.get(reverse("monitoring:discoveries")).content.decode()
    town.post(step, {"decision": "registered", "note": "已入户"})
    assert Discovery.objects.get().status == Discovery.Status.OPEN  # townships only look
    county = login(client, world.users["county1"])
    county.post(step, {"decision": "registered", "note": ""})
    assert Discovery.objects.get().status == Discovery.Status.OPEN  # a reason is required
    county.post(step, {"decision": "registered", "note": "已登记建档 T9-HH"})
    got = Discovery.objects.get()
    assert (got.status, got.decided_by, got.note) == ("registered", world.users["county1"],
                                                      "已登记建档 T9-HH")  # fmt: skip

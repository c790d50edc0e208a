"""The web pages a caseworker uses: sign-in, search, the household file, edits, import, export."""

from __future__ import annotations

import io

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from openpyxl import load_workbook

from minzheng.accounts.models import AuditEvent
from minzheng.identity.resident_id import mask
from minzheng.registry.models import Household, Person
from tests.registry.sheets import row, write_csv
from tests.world import login


def test_login_in_chinese_and_english(client, world):
    page = client.get(reverse("accounts:login"))
    assert "低收入人口动态监测平台" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("accounts:login"))
    assert "Low-income population monitoring" in page.content.decode()
    resp = client.post(reverse("accounts:login"), {"username": "town1", "password": "pw-town1"})
    assert resp.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "Households" in home.content.decode()


def test_five_failures_lock_the_account(client, world):
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "town1", "password": "wrong"})
    locked = client.post(url, {"username": "town1", "password": "pw-town1"})
    assert locked.status_code in (403, 429)
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session_on_the_server(client, world):
    client.post(reverse("accounts:login"), {"username": "town1", "password": "pw-town1"})
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_idle_timeout_is_thirty_minutes_and_passwords_use_argon2():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    from minzheng import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_approver_needs_a_second_factor_when_required(client, world, settings):
    settings.MINZHENG_2FA = "roles"
    login(client, world.users["county1"])
    assert client.get("/").url == reverse("accounts:otp")
    login(client, world.users["town1"])
    assert client.get("/").status_code == 200


def test_household_search_by_name_pinyin_and_id(client, world):
    login(client, world.users["county1"])
    url = reverse("registry:households")
    assert "T1-HH" in client.get(url, {"q": "甲二"}).content.decode()
    assert "T1-HH" in client.get(url, {"q": "jiaer"}).content.decode()
    number = world.persons["t1"][2].id_number
    body = client.get(url, {"q": number}).content.decode()
    assert "T1-HH" in body and "T2-HH" not in body
    ev = (
        AuditEvent.objects.filter(action="search", actor=world.users["county1"])
        .order_by("pk")
        .last()
    )
    assert ev.changes["q"] == mask(number) and number not in str(ev.changes)


def test_person_search_by_id_is_a_post(client, world):
    login(client, world.users["town1"])
    person = world.persons["t1"][0]
    body = client.post(
        reverse("registry:persons"), {"id_number": person.id_number}
    ).content.decode()
    assert person.name in body and mask(person.id_number) in body
    assert person.id_number not in body  # the list shows the number masked


def test_household_file_is_a_logged_read(client, world):
    user, hh = world.users["town1"], world.households["t1"]
    login(client, user)
    body = client.get(reverse("registry:household", args=[hh.uid])).content.decode()
    assert "甲三" in body and "家庭成员" in body
    assert AuditEvent.objects.filter(
        action="read", object_type="household", object_id=str(hh.pk), actor=user
    ).exists()


def test_person_page_shows_the_full_number_and_logs_it(client, world):
    user, person = world.users["town1"], world.persons["t1"][1]
    login(client, user)
    body = client.get(reverse("registry:person", args=[person.uid])).content.decode()
    assert person.id_number in body
    assert AuditEvent.objects.filter(action="read", object_type="person", actor=user).count() == 1


def test_edit_household_records_a_diff(client, world):
    user, hh = world.users["town1"], world.households["t1"]
    login(client, user)
    resp = client.post(
        reverse("registry:household_edit", args=[hh.uid]),
        {"address": "新地址 8 号", "residence_division": "440106001", "urban": "true"},
    )
    assert resp.status_code == 302
    hh.refresh_from_db()
    assert hh.address == "新地址 8 号"
    ev = AuditEvent.objects.get(action="update", object_type="household", actor=user)
    assert ev.changes["address"] == ["T1-HH路1号", "新地址 8 号"]


def test_edit_refuses_a_division_outside_jurisdiction(client, world):
    user, hh = world.users["town1"], world.households["t1"]
    login(client, user)
    resp = client.post(
        reverse("registry:household_edit", args=[hh.uid]),
        {"address": "x", "residence_division": "440104003"},
    )
    assert resp.status_code == 200 and "不在您的辖区" in resp.content.decode()


def test_edit_person_validation_messages(client, world):
    user, person = world.users["town1"], world.persons["t1"][0]
    login(client, user)
    resp = client.post(
        reverse("registry:person_edit", args=[person.uid]),
        {"name": "甲一", "disability_grade": "2"},
    )
    assert "缺少残疾类别" in resp.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    resp = client.post(
        reverse("registry:person_edit", args=[person.uid]),
        {"name": "甲一", "disability_grade": "2"},
    )
    assert "disability category" in resp.content.decode()


def test_import_page_with_errors_gives_counts_and_a_report(client, world, tmp_path):
    from tests.conftest import ids

    user = world.users["town1"]
    login(client, user)
    good = ids(2, county="440106", year=1980)
    path = write_csv(
        tmp_path / "up.csv",
        [
            row("UP1", "导入甲", good[0], hukou="440106001"),
            row("UP1", "导入乙", good[1][:17] + "Z", "20"),
        ],
    )
    with path.open("rb") as fh:
        resp = client.post(reverse("registry:import"), {"file": fh})
    assert resp.status_code == 302
    status = client.get(resp.url).content.decode()
    assert "导入成功 1 条，失败 1 条" in status
    report = client.get(resp.url + "errors/")
    ws = load_workbook(io.BytesIO(report.content)).active
    rows = list(ws.values)
    assert rows[0][-2] == "错误原因" and rows[1][0] == 3 and "公民身份号码" in rows[1][-2]
    assert Household.objects.filter(ref="UP1").exists()


def test_import_page_refuses_other_file_types(client, world):
    login(client, world.users["town1"])
    fh = io.BytesIO(b"x")
    fh.name = "a.pdf"
    resp = client.post(reverse("registry:import"), {"file": fh})
    assert "仅允许导入 xls、xlsx、csv 格式文件" in resp.content.decode()


def test_template_download(client, world):
    login(client, world.users["town1"])
    resp = client.get(reverse("registry:import_template"))
    assert "填表说明" in load_workbook(io.BytesIO(resp.content)).sheetnames


def test_export_is_masked_named_and_audited(client, world):
    user = world.users["county1"]
    login(client, user)
    resp = client.get(reverse("registry:households_export"))
    assert "%E5%A4%A9%E6%B2%B3%E5%8C%BA" in resp["Content-Disposition"]  # 天河区 in the name
    ws = load_workbook(io.BytesIO(resp.content)).active
    values = [r for r in ws.values]
    assert values[0][0] == "户编号"
    refs = {r[0] for r in values[1:]}
    assert {"T1-HH", "T2-HH", "MV-HH"} <= refs and "Y1-HH" not in refs
    head = world.persons["t1"][0].id_number
    assert mask(head) in {r[2] for r in values[1:]}
    ev = AuditEvent.objects.get(action="export", actor=user)
    assert ev.rows == len(values) - 1 and ev.changes["full_ids"] is False


def test_admin_roles_see_no_personal_data(client, world):
    login(client, world.users["admin"])
    assert client.get(reverse("registry:households")).status_code == 403
    assert "甲一" not in client.get("/").content.decode()


def test_quality_queue_is_national_only(client, world):
    Person.objects.filter(pk=world.persons["t1"][2].pk).update(
        hukou_division=None, residence_division=None
    )
    login(client, world.users["county1"])
    assert client.get(reverse("registry:quality")).status_code == 404
    login(client, world.users["nation"])
    assert "甲三" in client.get(reverse("registry:quality")).content.decode()


@pytest.mark.parametrize("who", ["county1", "town1"])
def test_division_tree_starts_at_the_users_division(client, world, who):
    login(client, world.users[who])
    body = client.get(reverse("divisions:tree")).content.decode()
    assert world.users[who].division.name in body

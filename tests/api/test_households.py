"""/api/v1/households/: list and search, the household file, PATCH; jurisdiction and audit."""

from __future__ import annotations

import uuid

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.core.api import NOT_FOUND
from minzheng.identity.resident_id import mask
from minzheng.registry.models import Household, Person
from minzheng.registry.services import household_register

URL = "/api/v1/households/"


def refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["ref"] for row in response.json()["results"]]


@pytest.fixture
def tianhe(make_user, client_for):
    return client_for(make_user("cw106", "caseworker", "440106"))


@pytest.fixture
def yuexiu(make_user, client_for):
    return client_for(make_user("cw104", "caseworker", "440104"))


@pytest.fixture
def wushan(make_user, client_for):
    return client_for(make_user("cw106001", "caseworker", "440106001"))


# --- list -------------------------------------------------------------------------------


def test_list_is_paginated_and_shows_codes_not_keys(registry, tianhe):
    body = tianhe.get(URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    row = next(r for r in body["results"] if r["ref"] == "HH-MV-1")
    assert row["uid"] == str(registry.mover.uid)
    assert (row["hukou_division"], row["hukou_division_name"]) == ("440106001", "五山街道")
    assert (row["residence_division"], row["residence_division_name"]) == ("440104001", "洪桥街道")
    assert row["head"] == str(registry.zhou5.uid) and row["head_name"] == "周五"
    assert row["member_count"] == 1
    assert "id" not in row and "pk" not in row


def test_pages_of_twenty(registry, tianhe, actor, division):
    for i in range(20):
        household_register(actor=actor, ref=f"HH-X-{i:02d}", hukou_division=division("440106"))
    first = tianhe.get(URL).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (23, 20, None)
    assert first["next"].endswith("/api/v1/households/?page=2")
    second = tianhe.get(first["next"]).json()
    assert len(second["results"]) == 3 and second["next"] is None


def test_a_county_sees_households_registered_or_living_there(registry, tianhe, yuexiu):
    assert refs(tianhe.get(URL)) == ["HH-MV-1", "HH-WS-1", "HH-YC-1"]
    assert refs(yuexiu.get(URL)) == ["HH-MV-1", "HH-YX-1"]


def test_a_township_does_not_see_its_sibling(registry, wushan):
    assert refs(wushan.get(URL)) == ["HH-MV-1", "HH-WS-1"]
    assert refs(wushan.get(URL, {"q": "林三"})) == []
    assert refs(wushan.get(URL, {"division": "440106002"})) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "陈二"}, ["HH-WS-1"]),
        ({"q": "chen"}, ["HH-WS-1"]),
        ({"q": "员村"}, ["HH-YC-1"]),
        ({"q": "HH-MV-1"}, ["HH-MV-1"]),
        ({"division": "440106002"}, ["HH-YC-1"]),
        ({"division": "440104"}, ["HH-MV-1"]),  # lives there
        ({"division": "440106002000"}, ["HH-YC-1"]),
    ],
)
def test_filters(registry, tianhe, params, expected):
    assert refs(tianhe.get(URL, params)) == expected


def test_needs_review_filter(registry, tianhe):
    Household.objects.filter(pk=registry.yuancun.pk).update(needs_review=True)
    assert refs(tianhe.get(URL, {"needs_review": "true"})) == ["HH-YC-1"]


def test_an_id_number_in_the_url_is_refused(registry, tianhe):
    response = tianhe.get(URL, {"q": registry.chen1.id_number})
    assert response.status_code == 400
    assert "POST /api/v1/persons/search/" in response.json()["q"][0]
    assert not AuditEvent.objects.filter(action="search").exists()


def test_an_unknown_division_is_a_field_error(registry, tianhe):
    response = tianhe.get(URL, {"division": "999999"})
    assert response.status_code == 400 and "division" in response.json()


def test_every_list_call_is_audited_with_its_count(registry, tianhe):
    tianhe.get(URL, {"q": "陈"})
    event = AuditEvent.objects.get(
        action="search", object_type="household", actor__username="cw106"
    )
    assert (event.rows, event.source, event.ip) == (1, "api", "127.0.0.1")
    assert event.changes["q"] == "陈"


# --- detail -----------------------------------------------------------------------------


def test_the_file_has_members_masked_incomes_and_assets(registry, tianhe):
    body = tianhe.get(f"{URL}{registry.wushan.uid}/").json()
    assert body["ref"] == "HH-WS-1" and body["hukou_division"] == "440106001"
    members = {m["name"]: m for m in body["members"]}
    assert set(members) == {"陈一", "陈二"}
    assert members["陈一"]["id_number"] == mask(registry.chen1.id_number)
    assert registry.chen1.id_number not in str(body)
    assert members["陈一"]["hukou_division"] == "440106001"
    assert [(i["person"], i["kind"], i["monthly_fen"]) for i in body["incomes"]] == [
        (str(registry.chen1.uid), "wage", 150000)
    ]
    assert [(a["kind"], a["quantity"]) for a in body["assets"]] == [("vehicle", 1)]


def test_opening_a_file_is_a_logged_read(registry, tianhe):
    tianhe.get(f"{URL}{registry.wushan.uid}/")
    event = AuditEvent.objects.get(action="read", object_type="household")
    assert event.household_id == registry.wushan.pk
    assert (event.source, event.ip) == ("api", "127.0.0.1")


def test_outside_the_jurisdiction_is_a_404_like_nothing_at_all(registry, yuexiu, wushan):
    elsewhere = yuexiu.get(f"{URL}{registry.wushan.uid}/")
    nowhere = yuexiu.get(f"{URL}{uuid.uuid4()}/")
    garbage = yuexiu.get(f"{URL}not-a-uid/")
    assert elsewhere.status_code == nowhere.status_code == garbage.status_code == 404
    assert (
        elsewhere.json()
        == nowhere.json()
        == garbage.json()
        == {"detail": NOT_FOUND, "code": "not_found"}
    )
    assert wushan.get(f"{URL}{registry.yuancun.uid}/").status_code == 404
    assert not AuditEvent.objects.filter(action="read").exists()


def test_both_counties_open_the_household_that_lives_across_the_line(registry, tianhe, yuexiu):
    for client in (tianhe, yuexiu):
        assert client.get(f"{URL}{registry.mover.uid}/").status_code == 200


# --- roles ------------------------------------------------------------------------------


def test_users_without_a_data_role_get_403_everywhere(registry, make_user, client_for):
    admin = client_for(make_user("sys", "sysadmin", "440106"))
    assert admin.get(URL).status_code == 403
    existing = admin.get(f"{URL}{registry.wushan.uid}/")
    missing = admin.get(f"{URL}{uuid.uuid4()}/")
    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()
    assert (
        admin.patch(f"{URL}{registry.wushan.uid}/", {"address": "x"}, format="json").status_code
        == 403
    )


def test_signing_in_is_required(registry, client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- PATCH ------------------------------------------------------------------------------


def test_patch_changes_the_household_through_the_service(registry, tianhe):
    response = tianhe.patch(
        f"{URL}{registry.wushan.uid}/",
        {"address": "员村一横路", "residence_division": "440106002"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["address"], body["residence_division"]) == ("员村一横路", "440106002")
    assert body["residence_division_name"] == "员村街道"
    registry.wushan.refresh_from_db()
    assert registry.wushan.residence_division.short_code == "440106002"
    # the service moved the members' residence too
    assert {
        p.residence_division.short_code for p in Person.objects.filter(household=registry.wushan)
    } == {"440106002"}
    event = AuditEvent.objects.get(
        action="update", object_type="household", actor__username="cw106"
    )
    assert (event.source, event.ip) == ("api", "127.0.0.1")
    assert event.changes["address"] == ["五山路1号", "员村一横路"]


def test_patch_to_a_division_outside_the_jurisdiction_is_refused(registry, wushan):
    response = wushan.patch(
        f"{URL}{registry.wushan.uid}/", {"residence_division": "440106002"}, format="json"
    )
    assert response.status_code == 400
    assert "辖区" in response.json()["residence_division"][0]
    registry.wushan.refresh_from_db()
    assert registry.wushan.residence_division.short_code == "440106001"
    assert not AuditEvent.objects.filter(action="update").exists()


def test_patch_with_an_unknown_code_is_a_field_error(registry, tianhe):
    response = tianhe.patch(
        f"{URL}{registry.wushan.uid}/", {"residence_division": "440199"}, format="json"
    )
    assert response.status_code == 400 and "residence_division" in response.json()


def test_patch_with_a_form_body_that_is_not_an_object_is_a_400(registry, tianhe):
    url = f"{URL}{registry.wushan.uid}/"
    boundary = "b0undary"
    array = f"--{boundary}\r\n[]--{boundary}--\r\n".encode()  # how a client sends `[]`
    response = tianhe.generic(
        "PATCH", url, array, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400 and "object" in response.json()["detail"]
    registry.wushan.refresh_from_db()
    assert registry.wushan.address == "五山路1号"
    # a real (empty or filled) form is still fine
    empty = f"--{boundary}--\r\n".encode()
    response = tianhe.generic(
        "PATCH", url, empty, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200
    assert tianhe.patch(url, {"address": "员村一横路"}, format="multipart").status_code == 200
    registry.wushan.refresh_from_db()
    assert registry.wushan.address == "员村一横路"


def test_patch_needs_a_writing_role_and_the_jurisdiction(registry, make_user, client_for, yuexiu):
    analyst = client_for(make_user("an", "analyst", "440106"))
    url = f"{URL}{registry.wushan.uid}/"
    assert analyst.get(url).status_code == 200
    assert analyst.patch(url, {"address": "x"}, format="json").status_code == 403
    assert yuexiu.patch(url, {"address": "x"}, format="json").status_code == 404
    registry.wushan.refresh_from_db()
    assert registry.wushan.address == "五山路1号"


def test_households_cannot_be_created_or_deleted_here(registry, tianhe):
    assert tianhe.post(URL, {}, format="json").status_code == 405
    assert tianhe.delete(f"{URL}{registry.wushan.uid}/").status_code == 405

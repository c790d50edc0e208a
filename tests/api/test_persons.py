"""/api/v1/persons/: list (masked), one person (full, audited), search by ID number (POST)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from minzheng.accounts.models import AuditEvent
from minzheng.core.api import NOT_FOUND
from minzheng.identity.resident_id import mask
from minzheng.registry.services import person_register

URL = "/api/v1/persons/"
SEARCH = "/api/v1/persons/search/"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.fixture
def tianhe(make_user, client_for):
    return client_for(make_user("cw106", "caseworker", "440106"))


@pytest.fixture
def yuexiu(make_user, client_for):
    return client_for(make_user("cw104", "analyst", "440104"))


def test_list_masks_id_numbers_and_gives_division_codes(registry, tianhe):
    body = tianhe.get(URL, {"q": "周五"}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    [row] = body["results"]
    assert row["uid"] == str(registry.zhou5.uid)
    assert row["id_number"] == mask(registry.zhou5.id_number)
    assert (row["hukou_division"], row["residence_division"]) == ("440106001", "440104001")
    assert (row["hukou_division_name"], row["residence_division_name"]) == ("五山街道", "洪桥街道")
    assert (row["household"], row["household_ref"]) == (str(registry.mover.uid), "HH-MV-1")
    assert "birth_date" not in row and "phone" not in row and "id" not in row


def test_a_person_living_across_the_county_line_is_visible_to_both(registry, tianhe, yuexiu):
    assert names(tianhe.get(URL)) == ["周五", "林三", "陈一", "陈二"]
    assert names(yuexiu.get(URL)) == ["周五", "黄四"]
    for client in (tianhe, yuexiu):
        assert client.get(f"{URL}{registry.zhou5.uid}/").status_code == 200


def test_a_township_does_not_see_its_siblings_people(registry, make_user, client_for):
    wushan = client_for(make_user("cw106001", "caseworker", "440106001"))
    assert names(wushan.get(URL)) == ["周五", "陈一", "陈二"]
    assert wushan.get(f"{URL}{registry.lin3.uid}/").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "陈"}, ["陈一", "陈二"]),
        ({"q": "chen"}, ["陈一", "陈二"]),
        ({"q": "lin san"}, ["林三"]),
        ({"division": "440104"}, ["周五"]),  # lives in Yuexiu
        ({"division": "440106002"}, ["林三"]),
    ],
)
def test_filters(registry, tianhe, params, expected):
    assert names(tianhe.get(URL, params)) == expected


def test_an_id_number_in_the_url_is_refused(registry, tianhe):
    response = tianhe.get(URL, {"q": registry.chen1.id_number[:15]})
    assert response.status_code == 400 and "q" in response.json()


def test_list_calls_are_audited(registry, tianhe):
    tianhe.get(URL, {"q": "陈", "division": "440106001"})
    event = AuditEvent.objects.get(action="search", object_type="person")
    assert (event.rows, event.source, event.ip) == (2, "api", "127.0.0.1")
    assert event.changes == {"q": "陈", "division": "440106001000"}


def test_one_person_shows_the_full_number_and_is_a_logged_read(registry, tianhe):
    body = tianhe.get(f"{URL}{registry.chen1.uid}/").json()
    assert body["id_number"] == registry.chen1.id_number
    assert body["birth_date"] and body["household"] == str(registry.wushan.uid)
    event = AuditEvent.objects.get(action="read", object_type="person")
    assert (event.object_id, event.household_id) == (str(registry.chen1.pk), registry.wushan.pk)
    assert (event.source, event.ip) == ("api", "127.0.0.1")


def test_outside_the_jurisdiction_is_a_404_like_nothing_at_all(registry, yuexiu):
    elsewhere = yuexiu.get(f"{URL}{registry.chen1.uid}/")
    nowhere = yuexiu.get(f"{URL}{uuid.uuid4()}/")
    assert elsewhere.status_code == nowhere.status_code == 404
    assert elsewhere.json() == nowhere.json() == {"detail": NOT_FOUND, "code": "not_found"}


def test_search_by_id_number_in_the_body(registry, tianhe):
    number = registry.chen1.id_number
    response = tianhe.post(SEARCH, {"id_number": number.lower()}, format="json")
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [r["uid"] for r in body["results"]] == [str(registry.chen1.uid)]
    assert body["results"][0]["id_number"] == mask(number)
    event = AuditEvent.objects.get(action="search", object_type="person")
    assert event.changes == {"id_number": mask(number)} and event.rows == 1
    assert (event.source, event.ip) == ("api", "127.0.0.1")
    assert number not in str(list(AuditEvent.objects.values()))


def test_search_outside_the_jurisdiction_finds_nothing(registry, yuexiu):
    response = yuexiu.post(SEARCH, {"id_number": registry.chen1.id_number}, format="json")
    assert response.json()["count"] == 0
    assert AuditEvent.objects.get(action="search").rows == 0
    # the person living in Yuexiu is found by both
    found = yuexiu.post(SEARCH, {"id_number": registry.zhou5.id_number}, format="json")
    assert found.json()["count"] == 1


def test_search_needs_a_number_and_a_post(registry, tianhe):
    assert tianhe.post(SEARCH, {}, format="json").status_code == 400
    assert tianhe.get(SEARCH).status_code == 405


def test_users_without_a_data_role_get_403(registry, make_user, client_for):
    admin = client_for(make_user("audit", "auditadmin", "440106"))
    assert admin.get(URL).status_code == 403
    assert admin.get(f"{URL}{registry.chen1.uid}/").status_code == 403
    assert (
        admin.post(SEARCH, {"id_number": registry.chen1.id_number}, format="json").status_code
        == 403
    )
    assert not AuditEvent.objects.filter(action__in=["read", "search"]).exists()


def test_a_data_role_without_a_division_sees_nothing(registry, make_user, client_for):
    unplaced = client_for(make_user("lost", "caseworker"))
    assert unplaced.get(URL).json()["count"] == 0
    assert unplaced.get(f"{URL}{registry.chen1.uid}/").status_code == 404


def test_a_person_without_an_id_number(registry, tianhe, actor):
    baby = person_register(
        actor=actor,
        household=registry.wushan,
        name="陈小",
        relationship="20",
        on=dt.date(2024, 5, 1),
        birth_date=dt.date(2024, 4, 1),
    )
    [row] = tianhe.get(URL, {"q": "陈小"}).json()["results"]
    assert row["id_number"] is None and row["id_status"] == "missing"
    assert tianhe.get(f"{URL}{baby.uid}/").json()["id_number"] is None

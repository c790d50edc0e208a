"""``POST /api/v1/assess/``: who may call it, what it answers, and how it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.utils import reset as axes_reset
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.assistance.parameters import parameter_set
from tests.assistance.conftest import household
from tests.conftest import make_user

URL = "/api/v1/assess/"


@pytest.fixture(autouse=True)
def _fresh_state(db):  # type: ignore[no-untyped-def]
    """No throttle counts or axes failures carried over from another test."""
    cache.clear()
    axes_reset()


def token_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def session_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(user)  # signed in on the web (2FA is off in tests)
    return client


@pytest.fixture
def county1(people) -> APIClient:
    return token_client(people.county1)


def post(client: APIClient, doc) -> object:  # type: ignore[no-untyped-def]
    return client.post(URL, doc, format="json")


# --- who may call it -----------------------------------------------------------------------
@pytest.mark.parametrize("who", ["county1", "town1", "reviewer1", "county2"])
def test_holders_of_a_data_role_get_an_answer(ladder, people, who):
    response = post(token_client(getattr(people, who)), household())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["division"] == "440106" and body["division_name"] == "天河区"
    assert set(body["programmes"]) == {"dibao", "tekun", "bianyuan", "gangxing", "temporary"}


def test_an_analyst_gets_an_answer(ladder):
    analyst = make_user("analyst44", "44", "analyst")
    assert post(token_client(analyst), household()).status_code == 200


def test_a_session_works_as_well_as_a_token(ladder, people):
    response = post(session_client(people.town1), household())
    assert response.status_code == 200, response.content


def test_a_sysadmin_without_a_data_role_is_refused(ladder, people):
    response = post(token_client(people.admin), household())
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "programmes" not in response.json()


def test_anonymous_is_401(ladder):
    response = post(APIClient(), household())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_is_401(ladder):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert post(client, household()).status_code == 401


def test_only_post_is_allowed(ladder, county1):
    assert county1.get(URL).status_code == 405


# --- what it answers -----------------------------------------------------------------------
def test_the_answer_uses_the_stored_county_standard(ladder, county1):
    body = post(county1, household()).json()
    dibao = body["programmes"]["dibao"]
    assert (dibao["monthly_amount_fen"], dibao["monthly_amount"]) == (110000, 1100.0)
    used = body["parameters"]["dibao_urban_fen"]
    assert (used["division_prefix"], used["valid_from"], used["display"]) == (
        "440106",
        "2024-07-01",
        "1200.00",
    )


def test_the_day_before_the_county_change_uses_the_province(ladder, county1):
    body = post(county1, household(date="2024-06-30")).json()
    assert body["programmes"]["dibao"]["monthly_amount_fen"] == 85000
    assert body["parameters"]["dibao_urban_fen"]["division_prefix"] == "44"


def test_a_change_is_seen_by_the_next_request(ladder, county1):
    assert post(county1, household()).json()["programmes"]["dibao"]["monthly_amount_fen"] == 110000
    parameter_set(
        actor=None, name="dibao_urban_fen", division_prefix="440106", value=130000,
        valid_from=dt.date(2024, 7, 1),
    )  # fmt: skip
    assert post(county1, household()).json()["programmes"]["dibao"]["monthly_amount_fen"] == 120000


def test_a_retired_division_is_answered_for_its_successor(ladder, county1):
    body = post(county1, household(division="440107")).json()
    assert (body["division"], body["division_name"]) == ("440103", "荔湾区")
    assert "440107" in body["notes"][0]


# --- how it refuses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (household(division="999999"), "division"),
        (household(division="000000"), "division"),  # found by schemathesis: was a 500
        (household(parameters={"dibao_standard": "abc"}), "parameters.dibao_standard"),
        (household(parameters={"no_such": "1"}), "parameters.no_such"),
        (household(parameters={"dibao_standard": "800.001"}), "parameters.dibao_standard"),
        (household(parameters={"benefit_method": "3"}), "parameters.benefit_method"),
        (household(members=[{"relationship": "邻居"}]), "members[0].relationship"),
        (household(salary=1), "salary"),
    ],
)
def test_a_bad_document_is_a_400_naming_the_field(ladder, county1, doc, field):
    response = post(county1, doc)
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["field"], body["code"]) == (field, "invalid")
    assert " / " in body["detail"]  # Chinese / English


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        (household(members=[]), "members"),
        (household(division="4401"), "division"),
        (household(date="2024-02-30"), "date"),
        (household(members=[{"monthly_income": -1}]), "members"),
        ({"members": [{"monthly_income": 1}]}, "division"),
    ],
)
def test_a_document_the_serializer_refuses_is_a_400_on_that_key(ladder, county1, doc, key):
    response = post(county1, doc)
    assert response.status_code == 400, response.content
    assert key in response.json()


def test_form_data_is_415(ladder, county1):
    response = county1.post(URL, {"division": "440106"})  # multipart
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_plain_text_is_415(ladder, county1):
    response = county1.post(URL, "division=440106", content_type="text/plain")
    assert response.status_code == 415


def test_malformed_json_is_400(ladder, county1):
    response = county1.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_an_infinite_override_is_a_400(ladder, county1):
    response = post(county1, household(parameters={"dibao_standard": "Infinity"}))
    assert response.status_code == 400
    assert response.json()["field"] == "parameters.dibao_standard"

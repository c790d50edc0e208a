"""POST /api/v1/auth/token/: password, lockout (django-axes), second factor."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.accounts.models import AuditEvent
from tests.api.conftest import PASSWORD

URL = "/api/v1/auth/token/"


def post(client: APIClient, **body: str):
    return client.post(URL, body, format="json")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


@pytest.fixture
def caseworker(make_user):
    return make_user("cw", "caseworker", "440106")


@pytest.fixture
def approver(make_user):
    user = make_user("boss", "approver", "440106")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_good_password_gives_a_token_that_opens_the_api(caseworker):
    client = APIClient()
    response = post(client, username="cw", password=PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=caseworker).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/households/").status_code == 200


def test_asking_again_returns_the_same_token_and_the_sign_in_is_audited(caseworker):
    first = post(APIClient(), username="cw", password=PASSWORD).json()["token"]
    assert post(APIClient(), username="cw", password=PASSWORD).json()["token"] == first
    logins = AuditEvent.objects.filter(actor=caseworker, action="login")
    assert logins.count() == 2
    assert {(e.source, e.ip) for e in logins} == {("api", "127.0.0.1")}


@pytest.mark.parametrize("username", ["cw", "nobody"])
def test_wrong_credentials_are_400_with_one_bilingual_message(caseworker, username):
    response = post(APIClient(), username=username, password="wrong-password")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "用户名或密码错误 / wrong username or password",
        "code": "invalid_credentials",
    }
    assert not Token.objects.exists()


def test_missing_fields_are_field_errors(caseworker):
    response = APIClient().post(URL, {"username": "cw"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_only_json_is_accepted(caseworker):
    response = APIClient().post(URL, {"username": "cw", "password": PASSWORD})  # multipart
    assert response.status_code == 415


def test_five_failures_lock_the_account_even_against_the_right_password(caseworker):
    client = APIClient()
    statuses = [post(client, username="cw", password=f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    response = post(client, username="cw", password=PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert int(response["Retry-After"]) == 15 * 60
    assert response["Content-Type"] == "application/json"  # not axes' HTML page
    assert not Token.objects.exists()
    assert AccessAttempt.objects.filter(username="cw").exists()


def test_a_success_clears_earlier_failures(caseworker):
    for i in range(3):
        post(APIClient(), username="cw", password=f"wrong-{i}")
    assert post(APIClient(), username="cw", password=PASSWORD).status_code == 200
    assert not AccessAttempt.objects.filter(username="cw").exists()


@override_settings(MINZHENG_2FA="roles")
def test_an_approver_needs_the_one_time_code(approver):
    device = TOTPDevice.objects.get(user=approver)
    missing = post(APIClient(), username="boss", password=PASSWORD)
    assert (missing.status_code, missing.json()["code"]) == (400, "otp_required")
    wrong = post(APIClient(), username="boss", password=PASSWORD, otp=wrong_code(device))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_otp")
    assert not Token.objects.exists()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp delays the next try after a wrong code
    good = post(APIClient(), username="boss", password=PASSWORD, otp=current_code(device))
    assert good.status_code == 200
    assert good.json()["token"] == Token.objects.get(user=approver).key


@override_settings(MINZHENG_2FA="roles")
def test_a_caseworker_needs_no_code_when_only_roles_require_it(caseworker):
    assert post(APIClient(), username="cw", password=PASSWORD).status_code == 200


@override_settings(MINZHENG_2FA="off")
def test_no_code_is_asked_when_two_factors_are_off(approver):
    assert post(APIClient(), username="boss", password=PASSWORD).status_code == 200


@override_settings(MINZHENG_2FA="roles")
def test_wrong_codes_count_towards_the_lockout(approver):
    device = TOTPDevice.objects.get(user=approver)
    statuses = [
        post(APIClient(), username="boss", password=PASSWORD, otp=wrong_code(device)).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429
    device.refresh_from_db()
    device.throttle_reset()
    response = post(APIClient(), username="boss", password=PASSWORD, otp=current_code(device))
    assert response.status_code == 429
    assert not Token.objects.exists()


@override_settings(MINZHENG_2FA="roles")
def test_a_password_only_web_session_does_not_reach_the_api(approver, caseworker):
    client = APIClient()
    client.force_login(approver)  # signed in on the web, second factor not yet given
    response = client.get("/api/v1/households/")
    assert response.status_code == 403
    client.force_login(caseworker)
    assert client.get("/api/v1/households/").status_code == 200


def test_token_requests_are_throttled_per_address(caseworker, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min"},
    }
    statuses = [post(APIClient(), username=f"u{i}", password="x").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert post(APIClient(), username="cw", password=PASSWORD).json()["code"] == "throttled"


def test_tokens_expire_and_a_new_sign_in_replaces_them(caseworker):
    import datetime as dt

    from django.utils import timezone

    first = post(APIClient(), username=caseworker.username, password=PASSWORD).json()["token"]
    Token.objects.filter(key=first).update(created=timezone.now() - dt.timedelta(hours=13))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    resp = client.get("/api/v1/households/")
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]
    second = post(APIClient(), username=caseworker.username, password=PASSWORD).json()["token"]
    assert second != first
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert client.get("/api/v1/households/").status_code == 200

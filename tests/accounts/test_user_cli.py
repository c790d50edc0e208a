"""``minzheng user``: create, list, set-role, disable, reset-password — rules, errors, audit."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from django.contrib.auth.backends import ModelBackend

from minzheng.accounts.cli import user
from minzheng.accounts.models import AuditEvent, User

PW = "Zhe-shi-mi-ma-2026"


def authenticate(*, username: str, password: str) -> User | None:
    """Password check as sign-in does it (inactive users refused), without axes' request."""
    return ModelBackend().authenticate(None, username=username, password=password)


def mz(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(user, list(args), input=stdin)


def test_create_with_a_generated_password_printed_once(db):
    out = mz("create", "wang.fang", "--role", "caseworker", "--division", "440106001",
             "--email", "wf@example.gov.cn")  # fmt: skip
    assert out.exit_code == 0, out.output
    password = out.output.split("shown once): ")[1].split()[0]
    u = User.objects.get(username="wang.fang")
    assert u.division is not None
    assert (u.division.code, sorted(u.roles), u.email, u.is_active) == (
        "440106001000",
        ["caseworker"],
        "wf@example.gov.cn",
        True,
    )
    assert authenticate(username="wang.fang", password=password) == u
    assert u.password != password  # hashed, never stored in clear
    event = AuditEvent.objects.get(action="create", object_type="user", object_id=str(u.pk))
    assert event.source == "cli" and event.changes["roles"] == ["caseworker"]
    assert password not in json.dumps(event.changes) + event.summary


def test_create_with_password_on_stdin(db):
    out = mz("create", "li.qiang", "--role", "approver", "--division", "440106",
             "--password-stdin", stdin=PW + "\n")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "shown once" not in out.output and "second factor" in out.output
    assert authenticate(username="li.qiang", password=PW) is not None


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["--role", "boss", "--division", "440106"], "未知角色", "unknown role: boss"),
        (["--role", "caseworker", "--division", "449999"], "区划代码不存在", "no current division"),
        (["--role", "caseworker", "--division", "44x"], "2–12 位数字", "2–12 digits"),
        (["--role", "approver", "--division", "440106001"], "县级角色", "county work"),
        (["--role", "sysadmin", "--role", "caseworker", "--division", "440106"],
         "三员分立", "held alone"),
    ],
)  # fmt: skip
def test_create_refuses_with_a_clear_bilingual_error(db, args, zh, en):
    out = mz("create", "x.y", *args)
    assert out.exit_code == 1
    assert zh in out.output and en in out.output and "Traceback" not in out.output
    assert not User.objects.filter(username="x.y").exists()
    assert not AuditEvent.objects.filter(object_type="user").exists()


def test_duplicate_user_and_weak_password_are_refused(db):
    assert mz("create", "dup", "--role", "analyst", "--division", "44").exit_code == 0
    out = mz("create", "DUP", "--role", "analyst", "--division", "44")
    assert out.exit_code == 1 and "用户已存在" in out.output and "already exists" in out.output
    out = mz("create", "weak", "--role", "analyst", "--division", "44", "--password-stdin",
             stdin="123\n")  # fmt: skip
    assert out.exit_code == 1 and "密码不符合要求" in out.output and "refused" in out.output


def test_list_filters_by_role_and_division(world):
    out = mz("list", "--role", "approver", "--division", "440106", "--json")
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["username"] for r in rows] == ["county1"]
    assert rows[0]["roles"] == ["approver"] and rows[0]["active"] is True
    text = mz("list", "--division", "440106").output
    assert "town1" in text and "town2" in text and "county2" not in text and "共 " in text


def test_set_role_replaces_roles_and_is_audited(world):
    out = mz("set-role", "town1", "--role", "reviewer", "--division", "440106")
    assert out.exit_code == 0, out.output
    u = User.objects.get(username="town1")
    assert sorted(u.roles) == ["reviewer"]
    assert u.division is not None and u.division.code == "440106000000"
    ev = AuditEvent.objects.get(action="update", object_type="user", object_id=str(u.pk))
    assert ev.changes["before"] == {"roles": ["caseworker"], "division": "440106001000"}
    # a township stays a township: review is county work
    out = mz("set-role", "town2", "--role", "reviewer")
    assert out.exit_code == 1 and "county work" in out.output
    assert mz("set-role", "nobody", "--role", "analyst").output.count("no such user") == 1


def test_disable_stops_sign_in_and_enable_restores_it(world, client):
    town1 = world.users["town1"]
    client.force_login(town1)
    assert client.get("/jobs/").status_code == 200
    assert mz("disable", "town1").exit_code == 0
    assert authenticate(username="town1", password="pw-town1") is None
    assert client.get("/jobs/").status_code == 302  # the open session stops working
    assert mz("disable", "town1", "--enable").exit_code == 0
    assert authenticate(username="town1", password="pw-town1") is not None
    assert AuditEvent.objects.filter(object_type="user", object_id=str(town1.pk)).count() == 2


def test_reset_password_signs_the_user_out(world, client):
    client.force_login(world.users["town2"])
    out = mz("reset-password", "town2")
    assert out.exit_code == 0, out.output
    new = out.output.split("shown once): ")[1].split()[0]
    assert authenticate(username="town2", password="pw-town2") is None
    assert authenticate(username="town2", password=new) is not None
    assert client.get("/jobs/").status_code == 302
    assert mz("reset-password", "ghost").exit_code == 1


def test_every_command_has_help_with_an_example():
    for name in ("create", "list", "set-role", "disable", "reset-password"):
        out = mz(name, "-h")
        assert out.exit_code == 0 and "Example:" in out.output, name


# --- onboarding a user who signs in with two factors ------------------------------------------
def test_a_new_approver_scans_a_qr_code_and_confirms_the_device(db, client, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.MINZHENG_2FA = "roles"
    mz("create", "li.qiang", "--role", "approver", "--division", "440106", "--password-stdin",
       stdin=PW + "\n")  # fmt: skip
    u = User.objects.get(username="li.qiang")
    # given a device the security administrator prepared (unconfirmed)
    device = TOTPDevice.objects.create(user=u, name="li.qiang", confirmed=False)
    client.force_login(u)
    assert client.get("/jobs/").url == "/accounts/otp/"
    # then the page draws the otpauth URI as an inline SVG QR code, from no other server
    body = client.get("/accounts/otp/").content.decode()
    assert "<svg" in body and "</svg>" in body and "otpauth" in body
    assert "http://" not in body.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org", ""
    )
    # a wrong code is refused and the device stays unconfirmed
    right = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    wrong = f"{(right + 500_000) % 1_000_000:06d}"
    assert "验证码错误" in client.post("/accounts/otp/", {"otp": wrong}).content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # django-otp slows down guessing after a failure
    # the code from the app confirms it and signs the second factor in
    code = f"{right:06d}"
    assert client.post("/accounts/otp/", {"otp": code}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/jobs/").status_code == 200
    # and once confirmed, the page asks for a code and no longer shows the secret
    assert "<svg" not in client.get("/accounts/otp/").content.decode()


def test_without_a_prepared_device_the_page_says_whom_to_ask(world, client, settings):
    settings.MINZHENG_2FA = "roles"
    client.force_login(world.users["county1"])
    body = client.get("/accounts/otp/").content.decode()
    assert "尚未绑定验证器" in body and "<svg" not in body

"""``minzheng user``: create, list, re-role, disable users and reset their passwords.

Registered in the main command line with ``main.add_command(user)``. The services at the
top of this module do the writing (validated, in one transaction, audited); the click
commands below only parse, call one of them and print. Django is set up inside each
command (``minzheng.cli.setup_django``, imported late to avoid a cycle).

Rules (ADR 004, MLPS level 3): a role is one of :class:`~minzheng.accounts.roles.Role`;
the division is a current one; review and approval are county work (county or above);
an administrator role (系统/安全/审计管理员) is held alone — never with a data role nor
with another administrator role.
"""

from __future__ import annotations

import getpass
import json
import secrets
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from minzheng.accounts.models import User
    from minzheng.divisions.models import Division

COUNTY_ROLES = ("reviewer", "approver")  # 县级审核 / 县级审批


class UserAdminError(ValueError):
    """A request the rules refuse; the message is Chinese / English, for the operator."""


# --- services -------------------------------------------------------------------------------
def _division(code: str) -> Division:
    from minzheng.divisions.models import Division

    digits = "".join(ch for ch in code if ch.isdigit())
    if code.strip() != digits or len(digits) > 12:
        raise UserAdminError(f"区划代码应为 2–12 位数字 / a division code is 2–12 digits: {code!r}")
    found = Division.objects.current().filter(code=digits.ljust(12, "0")).first()
    if found is None:
        raise UserAdminError(
            f"区划代码不存在或已撤销 / no current division has the code {digits}"
            "（用 minzheng divisions resolve 查询 / look it up with minzheng divisions resolve）"
        )
    return found


def _check_roles(roles: Sequence[str], division: Division | None) -> list[str]:
    from minzheng.accounts.roles import ADMIN_ROLES, Role
    from minzheng.divisions.models import Level

    wanted = list(dict.fromkeys(r.strip().lower() for r in roles if r.strip()))
    if not wanted:
        raise UserAdminError("至少指定一个角色 / give at least one role (--role)")
    unknown = [r for r in wanted if r not in Role.values]
    if unknown:
        raise UserAdminError(
            f"未知角色 / unknown role: {', '.join(unknown)}"
            f"（可选 / choose from: {', '.join(Role.values)}）"
        )
    admin = [r for r in wanted if r in ADMIN_ROLES]
    if admin and len(wanted) > 1:
        raise UserAdminError(
            "管理员角色须单独授予，不能与其他角色同时持有（三员分立） / an administrator role "
            f"is held alone, never with another role: {', '.join(wanted)}"
        )
    county = [r for r in wanted if r in COUNTY_ROLES]
    if county and division is not None and division.level > Level.COUNTY:
        raise UserAdminError(
            f"{', '.join(county)} 是县级角色，区划须为县级或以上 / {', '.join(county)} is "
            f"county work: give a county (or higher) division, not {division.code}"
        )
    return wanted


def _audit(user: User, action: str, summary: str, changes: dict[str, Any]) -> None:
    from minzheng.accounts.services import Audit, audit_record, system_actor

    audit_record(
        actor=system_actor(),
        source="cli",
        events=[
            Audit(
                action, "user", user.pk, summary=summary, changes={**changes, "os_user": _os_user()}
            )
        ],
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "?"


def _validated_password(password: str, user: User | None) -> str:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise UserAdminError(
            "密码不符合要求 / the password is refused: " + " ".join(exc.messages)
        ) from exc
    return password


def generated_password() -> str:
    """A random password of 16 URL-safe characters (shown once, never stored in clear)."""
    return secrets.token_urlsafe(12)


def _get(username: str) -> User:
    from minzheng.accounts.models import User

    found = User.objects.filter(username=username).first()
    if found is None:
        raise UserAdminError(f"用户不存在 / no such user: {username}")
    return found


def user_create(
    *, username: str, roles: Sequence[str], division_code: str, password: str, email: str = ""
) -> User:
    """Create an active user bound to ``division_code`` holding ``roles``; audited."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from minzheng.accounts.models import User

    if not username.strip():
        raise UserAdminError("用户名不能为空 / the username is empty")
    if User.objects.filter(username__iexact=username).exists():
        raise UserAdminError(f"用户已存在 / a user named {username} already exists")
    division = _division(division_code)
    wanted = _check_roles(roles, division)
    with transaction.atomic():
        user = User(username=username, email=email, division=division, is_active=True)
        user.set_password(_validated_password(password, user))
        user.full_clean()
        user.save()
        user.groups.set(Group.objects.filter(name__in=wanted))
        _audit(user, "create", f"创建用户 {username}（{'、'.join(wanted)}，{division.code}）",
               {"roles": wanted, "division": division.code, "email": bool(email)})  # fmt: skip
    return user


def user_set_roles(*, username: str, roles: Sequence[str], division_code: str = "") -> User:
    """Replace the user's roles (and division, when given); audited with before and after."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    user = _get(username)
    division = _division(division_code) if division_code else user.division
    wanted = _check_roles(roles, division)
    before = {"roles": sorted(user.roles), "division": getattr(user.division, "code", "")}
    with transaction.atomic():
        user.division = division
        user.save(update_fields=["division"])
        user.groups.set(Group.objects.filter(name__in=wanted))
        after = {"roles": wanted, "division": getattr(division, "code", "")}
        _audit(user, "update", f"调整用户 {username} 的角色为 {'、'.join(wanted)}",
               {"before": before, "after": after})  # fmt: skip
    user.__dict__.pop("roles", None)  # the cached property
    return user


def user_set_active(*, username: str, active: bool) -> User:
    """Disable (or enable again) a user: a disabled user cannot sign in, and open sessions
    and API tokens stop working at their next request. Audited."""
    user = _get(username)
    user.is_active = active
    user.save(update_fields=["is_active"])
    _audit(user, "update", f"{'启用' if active else '停用'}用户 {username}", {"active": active})
    return user


def user_reset_password(*, username: str, password: str) -> User:
    """Set a new password (validated); the user's other sessions are signed out. Audited."""
    from django.contrib.sessions.models import Session

    user = _get(username)
    user.set_password(_validated_password(password, user))
    user.save(update_fields=["password"])
    # The session hash changes with the password, so open sessions no longer verify; delete
    # them as well so nothing stale stays in the table.
    for s in Session.objects.iterator():
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk):
            s.delete()
    _audit(user, "update", f"重置用户 {username} 的密码", {"password": "reset"})
    return user


def users_list(*, role: str = "", division_code: str = "") -> list[dict[str, Any]]:
    """Every user (optionally with ``role`` / inside the division ``division_code``)."""
    from minzheng.accounts.models import User

    qs = User.objects.select_related("division").prefetch_related("groups").order_by("username")
    if role:
        _check_roles([role], None)
        qs = qs.filter(groups__name=role)
    if division_code:
        d = _division(division_code)
        low, high = d.prefix.ljust(12, "0"), d.prefix.ljust(12, "9")
        qs = qs.filter(division__code__gte=low, division__code__lte=high)
    return [
        {
            "username": u.username,
            "roles": sorted(g.name for g in u.groups.all()),
            "division": getattr(u.division, "code", ""),
            "division_name": getattr(u.division, "name", ""),
            "active": u.is_active,
            "last_login": u.last_login.isoformat(timespec="minutes") if u.last_login else "",
        }
        for u in qs
    ]


# --- commands -------------------------------------------------------------------------------
def _setup() -> None:
    from minzheng.cli import setup_django

    setup_django()


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password from stdin (first line), or a generated one; and whether generated."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("标准输入中没有密码 / no password on standard input")
        return line, False
    return generated_password(), True


def _fail(exc: UserAdminError) -> click.ClickException:
    return click.ClickException(str(exc))


def _two_factor_note(roles: Sequence[str]) -> None:
    from minzheng.accounts.roles import TWO_FACTOR_ROLES

    if set(roles) & set(TWO_FACTOR_ROLES):
        click.echo(
            "注意：该角色登录需要动态口令，请安全管理员在 /admin/ 为其添加 TOTP 设备（未确认），"
            "用户首次登录时扫码绑定 / this role signs in with a second factor: a security "
            "administrator adds an (unconfirmed) TOTP device in /admin/, the user scans its QR "
            "code at first sign-in",
            err=True,
        )


ROLE_HELP = "caseworker, reviewer, approver, analyst, sysadmin, secadmin or auditadmin."


@click.group("user", context_settings={"help_option_names": ["-h", "--help"]})
def user() -> None:
    """User accounts: create, list, change roles, disable, reset passwords (all audited).

    \b
    Example:
      minzheng user create wang.fang --role caseworker --division 440106001
      minzheng user list --division 440106
      minzheng user set-role wang.fang --role reviewer --division 440106
      minzheng user disable wang.fang
      minzheng user reset-password wang.fang
    """


@user.command("create")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, help=f"Role (repeatable): {ROLE_HELP}"
)
@click.option("--division", "division", required=True, help="Division code, e.g. 440106001.")
@click.option("--email", default="", help="E-mail address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create_cmd(
    username: str, roles: tuple[str, ...], division: str, email: str, password_stdin: bool
) -> None:
    """Create a user bound to a division; without --password-stdin a generated password is
    printed once.

    \b
    Example:
      minzheng user create wang.fang --role caseworker --division 440106001
      printf '%s\\n' "$PW" | minzheng user create li.qiang --role approver --division 440106 --password-stdin
    """
    _setup()
    password, generated = _read_password(password_stdin)
    try:
        u = user_create(username=username, roles=roles, division_code=division,
                        password=password, email=email)  # fmt: skip
    except UserAdminError as exc:
        raise _fail(exc) from exc
    click.echo(f"已创建用户 / created user {u.username}（{'、'.join(sorted(u.roles))}，"
               f"{u.division.code if u.division else ''}）")  # fmt: skip
    if generated:
        click.echo(f"初始密码（只显示这一次）/ initial password (shown once): {password}")
    _two_factor_note(roles)


@user.command("list")
@click.option("--role", default="", help=f"Only users holding this role: {ROLE_HELP}")
@click.option("--division", default="", help="Only users inside this division, e.g. 440106.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def user_list_cmd(role: str, division: str, as_json: bool) -> None:
    """List users: name, roles, division, whether active, last sign-in.

    \b
    Example:
      minzheng user list --role approver --division 4401
    """
    _setup()
    try:
        rows = users_list(role=role, division_code=division)
    except UserAdminError as exc:
        raise _fail(exc) from exc
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            state = "有效 active" if r["active"] else "停用 disabled"
            click.echo(f"{r['username']:<20} {','.join(r['roles']) or '-':<22} "
                       f"{r['division'] or '-':<12} {r['division_name']:<10} {state:<12} "
                       f"{r['last_login']}")  # fmt: skip
    if not as_json:
        click.echo(f"共 {len(rows)} 个用户 / {len(rows)} users")


@user.command("set-role")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, help=f"New role (repeatable): {ROLE_HELP}"
)
@click.option("--division", default="", help="Move the user to this division as well.")
def user_set_role_cmd(username: str, roles: tuple[str, ...], division: str) -> None:
    """Replace a user's roles (and division, with --division).

    \b
    Example:
      minzheng user set-role wang.fang --role reviewer --division 440106
    """
    _setup()
    try:
        u = user_set_roles(username=username, roles=roles, division_code=division)
    except UserAdminError as exc:
        raise _fail(exc) from exc
    click.echo(f"用户 {u.username} 的角色现为 / roles of {u.username} are now: "
               f"{', '.join(sorted(u.roles))}")  # fmt: skip
    _two_factor_note(roles)


@user.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
def user_disable_cmd(username: str, enable: bool) -> None:
    """Disable a user (cannot sign in; sessions and API tokens stop working).

    \b
    Example:
      minzheng user disable wang.fang
      minzheng user disable wang.fang --enable
    """
    _setup()
    try:
        u = user_set_active(username=username, active=enable)
    except UserAdminError as exc:
        raise _fail(exc) from exc
    click.echo(f"已{'启用' if enable else '停用'}用户 / {'enabled' if enable else 'disabled'} "
               f"user {u.username}")  # fmt: skip


@user.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_reset_password_cmd(username: str, password_stdin: bool) -> None:
    """Set a new password (printed once when generated) and sign the user out everywhere.

    \b
    Example:
      minzheng user reset-password wang.fang
    """
    _setup()
    password, generated = _read_password(password_stdin)
    try:
        u = user_reset_password(username=username, password=password)
    except UserAdminError as exc:
        raise _fail(exc) from exc
    click.echo(f"已重置用户 {u.username} 的密码 / password of {u.username} reset")
    if generated:
        click.echo(f"新密码（只显示这一次）/ new password (shown once): {password}")

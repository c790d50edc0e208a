"""Writing the audit trail and resolving who acts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist

from minzheng.accounts.context import current
from minzheng.accounts.models import AuditEvent, User
from minzheng.core.bulk import fast_insert


@dataclass
class Audit:
    """One audit row before it is written (so bulk operations can write many at once)."""

    action: str
    object_type: str
    object_id: Any = ""
    household_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    rows: int | None = None  # how many rows a search or export returned


def audit_record(*, actor: User | None, source: str = "", events: Iterable[Audit]) -> int:
    """Append audit rows for ``events`` in one bulk insert; returns how many.

    The client IP and channel come from the request context when there is one.
    """
    ctx = current.get()
    rows = [
        AuditEvent(
            actor=actor,
            source=source or (ctx.source if ctx else "cli"),
            ip=ctx.ip if ctx else None,
            rows=e.rows,
            action=e.action,
            object_type=e.object_type,
            object_id=str(e.object_id),
            household_id=e.household_id,
            changes=e.changes,
            summary=e.summary[:300],
        )
        for e in events
    ]
    fast_insert(AuditEvent, rows)
    return len(rows)


def system_actor() -> User:
    """The account named by CLI commands run without ``--as`` (created on first use)."""
    user, _ = get_user_model().objects.get_or_create(
        username=settings.MINZHENG_SYSTEM_USER,
        defaults={"first_name": "系统导入", "is_active": False},
    )
    return user


def actor_by_username(username: str | None) -> User:
    """The user named by ``--as``; the system import account when ``None``."""
    if not username:
        return system_actor()
    try:
        return get_user_model().objects.get(username=username)
    except ObjectDoesNotExist as exc:
        raise LookupError(f"用户不存在 / no such user: {username}") from exc


def audit_read(
    *, actor: User, object_type: str, object_id: Any, household_id: int | None, summary: str = ""
) -> None:
    """Record that ``actor`` opened one person's or household's file."""
    audit_record(
        actor=actor, events=[Audit("read", object_type, object_id, household_id, summary=summary)]
    )


def audit_search(*, actor: User, object_type: str, criteria: dict[str, Any], rows: int) -> None:
    """Record a search: its criteria (never a full ID number) and how many rows it found."""
    audit_record(
        actor=actor,
        events=[
            Audit("search", object_type, changes=criteria, rows=rows, summary=f"查询 {object_type}")
        ],
    )


def audit_export(
    *, actor: User, object_type: str, criteria: dict[str, Any], rows: int, full_ids: bool
) -> None:
    """Record an export of personal data: what, how many rows, whether IDs were in full."""
    audit_record(
        actor=actor,
        events=[
            Audit(
                "export",
                object_type,
                changes={**criteria, "full_ids": full_ids},
                rows=rows,
                summary=f"导出 {object_type} {rows} 行",
            )
        ],
    )


# Django permissions each administrator role holds (data roles need none: selectors decide).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    "sysadmin": [
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "auth.add_group",
        "auth.change_group",
        "auth.view_group",
        "divisions.add_division",
        "divisions.change_division",
        "divisions.view_division",
        "divisions.view_divisionchange",
    ],
    "secadmin": [
        "accounts.view_user",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "otp_totp.add_totpdevice",
        "otp_totp.change_totpdevice",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ],
    "auditadmin": ["accounts.view_auditevent"],
}


def ensure_role_groups() -> dict[str, Any]:
    """Create one group per role with its permissions (idempotent); returns name → group."""
    from django.contrib.auth.models import Group, Permission

    from minzheng.accounts.roles import Role

    groups = {}
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = ROLE_PERMISSIONS.get(role, [])
        perms = [
            Permission.objects.get(
                content_type__app_label=p.split(".")[0], codename=p.split(".")[1]
            )
            for p in wanted
        ]
        group.permissions.set(perms)
        groups[role] = group
    return groups


RETENTION_DAYS_MIN = 180


def audit_purge(*, older_than_days: int) -> int:
    """Delete audit rows older than ``older_than_days`` (at least 180: six months are kept)."""
    import datetime as dt

    from django.utils import timezone

    if older_than_days < RETENTION_DAYS_MIN:
        raise ValueError(
            f"审计日志至少保留 {RETENTION_DAYS_MIN} 天 / keep at least {RETENTION_DAYS_MIN} days"
        )
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted

"""Writing the audit trail and resolving who acts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist

from minzheng.accounts.models import AuditEvent, User


@dataclass
class Audit:
    """One audit row before it is written (so bulk operations can write many at once)."""

    action: str
    object_type: str
    object_id: Any = ""
    household_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


def audit_record(*, actor: User | None, source: str, events: Iterable[Audit]) -> int:
    """Append audit rows for ``events`` in one bulk insert; returns how many."""
    rows = [
        AuditEvent(
            actor=actor,
            source=source,
            action=e.action,
            object_type=e.object_type,
            object_id=str(e.object_id),
            household_id=e.household_id,
            changes=e.changes,
            summary=e.summary[:300],
        )
        for e in events
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=2000)
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

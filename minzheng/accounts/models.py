"""Users bound to a division, and the append-only audit trail."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from minzheng.accounts.roles import DATA_ROLES, WRITE_ROLES, Role


class User(AbstractUser):
    """A Minzheng user: sees only what lies inside ``division`` (enforced by selectors)."""

    division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        permissions = [
            ("export_full_id", "可导出完整身份证号 / may export full ID numbers"),
        ]

    @cached_property
    def roles(self) -> frozenset[str]:
        """Role codes held (the names of the user's groups that are roles)."""
        codes = set(Role.values)
        return frozenset(n for n in self.groups.values_list("name", flat=True) if n in codes)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.is_active and self.roles & DATA_ROLES)

    @property
    def can_edit_registry(self) -> bool:
        return bool(self.is_active and self.roles & WRITE_ROLES)


class AuditEvent(models.Model):
    """One recorded action on personal or reference data. Never updated or deleted by the app."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # create / update / delete / import / merge / read / search / export / login …
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=40, blank=True)  # cli / web / api / import …
    ip = models.GenericIPAddressField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)  # rows returned by a search/export
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}:{self.object_id}"

"""Users bound to a division, and the append-only audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Minzheng user: sees only what lies inside ``division`` (enforced by selectors)."""

    division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class AuditEvent(models.Model):
    """One recorded action on personal or reference data. Never updated or deleted by the app."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)  # create / update / delete / import / merge …
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=40, blank=True)  # cli / web / api / import batch …
    ip = models.GenericIPAddressField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}:{self.object_id}"

"""Base models shared by every app: timestamps and dated facts."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


class Timestamped(models.Model):
    """Creation and last-change times on every operational row."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DatedQuerySet(models.QuerySet):
    """Queries over facts that hold between ``valid_from`` and ``valid_to``."""

    def as_of(self, day: dt.date) -> DatedQuerySet:
        """Rows in force on ``day`` (``valid_from`` inclusive, ``valid_to`` exclusive)."""
        return self.filter(
            Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        )

    def current(self) -> DatedQuerySet:
        """Rows still open (no end date)."""
        return self.filter(valid_to__isnull=True)


DatedManager = models.Manager.from_queryset(DatedQuerySet)


class Dated(models.Model):
    """A fact that holds over a half-open date interval ``[valid_from, valid_to)``.

    A change never rewrites history: the open row is closed on the change date and
    a new row opened (see :func:`minzheng.core.dated.supersede`), so the state on
    any past date can be reconstructed.
    """

    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

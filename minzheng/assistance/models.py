"""Assistance data: dated, region-scoped parameters (cases, enrolments and payments follow)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.core.models import Dated, DatedManager, Timestamped


class Parameter(Dated, Timestamped):
    """One value of a rule parameter for a division prefix over ``[valid_from, valid_to)``.

    ``division_prefix`` "" is the nation; "44" a province, "4401" a city, "440106" a
    county (9 and 12 digits for townships and villages). The longest prefix valid on a
    date wins, so a county overrides its province. A change closes the open row and
    opens a new one: the value used on any past date stays answerable.
    """

    name = models.CharField("参数", max_length=64)
    division_prefix = models.CharField("区划代码前缀", max_length=12, blank=True)
    value = models.BigIntegerField("取值")  # money in fen, shares in percent (see catalogue)
    note = models.CharField("依据", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DatedManager()

    class Meta:
        verbose_name = "救助参数"
        verbose_name_plural = "救助参数"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "division_prefix", "valid_from"], name="parameter_once_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="parameter_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["name", "division_prefix"])]

    def __str__(self) -> str:
        return f"{self.name}@{self.division_prefix or '全国'} {self.valid_from}: {self.value}"

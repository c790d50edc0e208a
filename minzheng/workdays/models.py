"""The official calendar as data: days that break the Monday–Friday rule, and the years covered.

Only exceptions are stored: a holiday (放假, any day of the week) or a make-up working
day (调休上班, always a Saturday or Sunday). Every other day follows Monday–Friday. A
year counts on this table only once it is recorded in :class:`CalendarYear`; until
then deadlines in that year fall back to Monday–Friday with a warning.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from minzheng.core.models import Timestamped


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假 holiday"
    WORKDAY = "workday", "调休上班 make-up working day"


class CalendarDay(Timestamped):
    """One day of the State Council's schedule: a holiday or a weekend working day."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=8, choices=DayKind.choices)
    name = models.CharField("名称", max_length=60, blank=True, help_text="如 春节、国庆节")
    name_en = models.CharField("英文名称", max_length=60, blank=True)
    source = models.CharField("来源", max_length=200, help_text="通知文号或数据包版本")

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DayKind.values), name="workdays_calendarday_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".rstrip()

    def clean(self) -> None:
        # A weekday is a working day anyway: 班 on one is a mistyped date.
        if self.kind == DayKind.WORKDAY and self.date and self.date.weekday() < 5:
            raise ValidationError({"date": "调休上班日应为周六或周日"})


class CalendarYear(models.Model):
    """A year whose holidays and make-up days are all in :class:`CalendarDay`."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=200)
    loaded_at = models.DateTimeField("导入时间", default=timezone.now)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "已导入年份"
        verbose_name_plural = "已导入年份"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

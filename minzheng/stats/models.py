"""Statistics snapshots: computed indicator values per division, stored immutably.

These are aggregates, not personal data (no row-level security); reads still go through
:func:`minzheng.stats.selectors.values_for`, which keeps an actor to its own subtree.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class ImmutableError(RuntimeError):
    """Snapshots are never changed or deleted; a re-run makes a new version."""


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableError("statistics snapshots are immutable; re-run for a new version")

    def delete(self) -> NoReturn:
        raise ImmutableError("statistics snapshots are immutable; re-run for a new version")


class Immutable(models.Model):
    objects = ImmutableQuerySet.as_manager()
    # A figure of a past period belongs to the division as it was then: a later merge or
    # re-coding leaves it where it is (minzheng.divisions.services skips such models).
    keeps_historical_divisions = True

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{type(self).__name__} {self.pk} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableError(f"{type(self).__name__} {self.pk} is immutable")


class Snapshot(Immutable):
    """One computation of every catalogued indicator for a period (version n of it)."""

    period = models.CharField("统计期", max_length=7)  # 2024Q3, 2024-07, 2024
    period_start = models.DateField()
    period_end = models.DateField()
    version = models.PositiveIntegerField(default=1)
    provisional = models.BooleanField("初步数", default=False)
    computed_at = models.DateTimeField(auto_now_add=True)
    code_version = models.CharField(max_length=64, help_text="package version + rules digest")
    rules_sha256 = models.JSONField(default=dict, help_text="file → sha256 of catalogue/rules")
    registry_as_of = models.DateField("登记数据日期")
    inputs = models.JSONField(default=dict, help_text="row counts and digest of the input")
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = "统计快照 / statistics snapshot"
        ordering = ["period", "version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="stats_snapshot_version")
        ]

    def __str__(self) -> str:
        flag = " (provisional)" if self.provisional else ""
        return f"{self.period} v{self.version}{flag}"


class SnapshotValue(Immutable):
    """One figure: indicator × division × dimension values.

    ``value`` is in the base unit of the indicator's unit (persons for 万人) for stocks and
    flows, and in the report unit for ratios, which also keep their two parts.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="values")
    indicator = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()  # 0 nation … 4 township
    division_code = models.CharField(max_length=12, blank=True)  # prefix of that level
    division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dims = models.JSONField(default=dict)
    dims_key = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=30, decimal_places=6, null=True)
    numerator = models.BigIntegerField(null=True, blank=True)
    denominator = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "统计数值 / statistics value"
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "indicator", "level", "division_code", "dims_key"],
                name="stats_value_once",
            )
        ]
        indexes = [
            models.Index(fields=["snapshot", "indicator", "division_code"], name="stats_value_find")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.division_code or 'nation'} {self.dims_key}: {self.value}"


# --- aggregate data sets: values typed in per county, approved bottom-up (issue #7) --------


class DataValue(models.Model):
    """One entered figure of a county for a period, in the base unit of its indicator.

    Only :mod:`minzheng.stats.datasets` writes these (lock, validation and audit live there).
    """

    # An entered figure of 2024 belongs to the county as it was in 2024 (like snapshots).
    keeps_historical_divisions = True

    indicator = models.CharField("指标", max_length=16)
    period = models.CharField("统计期", max_length=7)  # 2024Q3, 2024-07, 2024
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="区划"
    )
    division_code = models.CharField(max_length=12, db_index=True)  # 12 digits
    value = models.DecimalField("数值", max_digits=24, decimal_places=2)
    comment = models.CharField("备注", max_length=500, blank=True)
    justification = models.CharField("核实说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "填报数值 / entered value"
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "division"], name="stats_datavalue_once"
            )
        ]
        indexes = [models.Index(fields=["period", "division_code"], name="stats_dv_period")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period} {self.division_code}: {self.value}"


class ApprovalState(models.TextChoices):
    OPEN = "open", "未上报"
    SUBMITTED = "submitted", "已上报"
    APPROVED = "approved", "已审批"
    RETURNED = "returned", "已退回"


class DataApproval(models.Model):
    """Where a data set of one division and period stands: a county submits, the level
    above approves (which locks the values beneath) or returns it with a reason."""

    keeps_historical_divisions = True

    dataset = models.CharField("数据集", max_length=40)
    period = models.CharField("统计期", max_length=7)
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="区划"
    )
    division_code = models.CharField(max_length=12, db_index=True)
    level = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=12, choices=ApprovalState.choices, default=ApprovalState.OPEN
    )
    updated_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "数据集审批 / data set approval"
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "period", "division"], name="stats_approval_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.period} {self.division_code}: {self.state}"


class ApprovalAction(models.TextChoices):
    SUBMIT = "submit", "上报"
    APPROVE = "approve", "审批通过"
    RETURN = "return", "退回"


class DataApprovalEvent(Immutable):
    """One step of a data set's approval (append-only): who, what, when and why."""

    approval = models.ForeignKey(DataApproval, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=12, choices=ApprovalAction.choices)
    state_before = models.CharField(max_length=12)
    state_after = models.CharField(max_length=12)
    reason = models.CharField("理由", max_length=500, blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "数据集审批记录 / data set approval step"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.approval} {self.action} {self.at:%Y-%m-%d %H:%M}"

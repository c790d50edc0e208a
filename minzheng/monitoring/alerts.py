"""Warnings (预警) raised by the monitoring pass, their lifecycle, and possible discoveries.

A warning is one rule tripped by one subject (a household or a person) on the date of a
pass. It goes to the township responsible (residence, else hukou), which verifies it with a
home visit, acts on it (opens an assistance case, refers it to another department, or
records why nothing is needed) and closes it; overdue warnings escalate to the county.
Every step is an :class:`AlertEvent` and an audit row carrying the household, so it shows
on the household's timeline. The model is named ``Alert`` to leave Python's ``Warning``
alone; screens and commands say 预警 / warning.

Idempotence: at most one open warning per (rule, subject) — a partial unique index on
(rule, subject kind, subject id), so
a pass killed and run again, or two passes at once, cannot raise it twice; and a warning
closed within the rule's look-back window is not raised again from the same evidence.
"""

from __future__ import annotations

import uuid
from typing import cast

from django.db import models
from django.db.models import Q

from minzheng.accounts.scope import restrict
from minzheng.core.models import Timestamped


class Severity(models.TextChoices):
    RED = "red", "红色"
    ORANGE = "orange", "橙色"
    YELLOW = "yellow", "黄色"


SEVERITY_ORDER = {Severity.RED: 0, Severity.ORANGE: 1, Severity.YELLOW: 2}


class AlertStatus(models.TextChoices):
    OPEN = "open", "待核实"
    VERIFIED = "verified", "已核实"
    ACTED = "acted", "已处置"
    CLOSED = "closed", "已办结"


OPEN_ALERT_STATES = (AlertStatus.OPEN, AlertStatus.VERIFIED, AlertStatus.ACTED)


class Outcome(models.TextChoices):
    """What was done about a verified warning."""

    CASE = "case", "已发起救助申请"
    REFERRED = "referred", "已转介其他部门"
    NO_ACTION = "no_action", "无需救助"


class MonitorRun(Timestamped):
    """One monitoring pass: its date, engine, progress and summary (resumable)."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "完成"
        FAILED = "failed", "失败"

    as_of = models.DateField("监测日期")
    engine = models.CharField(max_length=10, default="duckdb")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rules_done = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = "监测运行 / monitoring run"

    def __str__(self) -> str:
        return f"{self.as_of} {self.engine} {self.status}"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> AlertQuerySet:
        """Warnings of divisions in ``actor``'s jurisdiction (township: its own; county: all
        its townships')."""
        return cast(AlertQuerySet, restrict(self, actor, "division"))

    def open(self) -> AlertQuerySet:
        return self.filter(status__in=OPEN_ALERT_STATES)


class Alert(Timestamped):
    """One warning: a rule tripped by a household or person on the date of a pass."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.CharField("预警规则", max_length=60)
    rule_version = models.CharField(max_length=30)
    rule_sha256 = models.CharField(max_length=64)
    severity = models.CharField("预警等级", max_length=6, choices=Severity.choices)
    status = models.CharField(
        "状态", max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    subject = models.CharField(max_length=10)  # "household" or "person"
    subject_id = models.BigIntegerField(help_text="the household's or the person's pk")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="alerts"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    division = models.ForeignKey(
        "divisions.Division",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the township responsible: residence, else hukou",
    )
    raised_on = models.DateField("预警日期")
    due_on = models.DateField("核实期限")
    amount_fen = models.BigIntegerField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey(MonitorRun, null=True, on_delete=models.SET_NULL, related_name="+")
    escalated = models.BooleanField(default=False)
    verified_on = models.DateField(null=True, blank=True)
    visit_result = models.TextField("入户核实情况", blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    case = models.ForeignKey(
        "assistance.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    closed_on = models.DateField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = "预警 / warning"
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject", "subject_id"],
                condition=Q(status__in=["open", "verified", "acted"]),
                name="alert_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["division", "status"], name="alert_division_status"),
            models.Index(fields=["rule", "raised_on"], name="alert_rule_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.household_id}/{self.person_id} {self.status}"


class AlertEvent(models.Model):
    """One step of a warning's lifecycle (the household's timeline shows it)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"


class DiscoveryQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> DiscoveryQuerySet:
        """Discoveries whose record names a division in ``actor``'s jurisdiction."""
        return cast(DiscoveryQuerySet, restrict(self, actor, "division"))


class Discovery(Timestamped):
    """Someone outside the registry who trips a rule (e.g. a large medical cost): kept
    apart for the county to review, never a warning (there is no household to warn about)."""

    class Status(models.TextChoices):
        OPEN = "open", "待核查"
        REGISTERED = "registered", "已纳入登记"
        DISMISSED = "dismissed", "不予纳入"

    rule = models.CharField(max_length=60)
    identity = models.CharField(
        max_length=120, help_text="the ID number, else name|birth date|division code"
    )
    name = models.CharField(max_length=100)
    id_number = models.CharField(max_length=64, blank=True)
    division = models.ForeignKey(
        "divisions.Division", null=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_on = models.DateField()
    amount_fen = models.BigIntegerField(default=0)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    run = models.ForeignKey(MonitorRun, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)

    objects = DiscoveryQuerySet.as_manager()

    class Meta:
        verbose_name = "疑似未登记困难对象 / possible discovery"
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "identity"],
                condition=Q(status="open"),
                name="discovery_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.identity} {self.status}"

"""Monitoring models: department feeds, their linkage to the registry, and population layers.

A feed record keeps its identity columns typed and indexed (for linkage) and the rest of
its row as typed JSON (for rules). Its jurisdiction is the division its row names: a
record whose code resolves to no division has ``division`` NULL and, on PostgreSQL, is
visible to national scope only (row-level security, :mod:`minzheng.accounts.rls`).
"""

from __future__ import annotations

from typing import cast

from django.db import models

from minzheng.accounts.scope import restrict
from minzheng.core.models import Dated, DatedManager, Timestamped


class FeedBatch(Timestamped):
    """One run of a feed import: which kind and file, who, what happened (provenance)."""

    class Status(models.TextChoices):
        RUNNING = "running", "导入中"
        DONE = "done", "完成"
        FAILED = "failed", "失败"

    kind = models.CharField("数据种类", max_length=40, db_index=True)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "部门数据导入批次 / feed batch"

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"


class FeedRecordQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> FeedRecordQuerySet:
        """Records whose division lies in ``actor``'s jurisdiction."""
        return cast(FeedRecordQuerySet, restrict(self, actor, "division"))


class LinkMethod(models.TextChoices):
    EXACT = "exact", "身份证号精确匹配"
    PROBABILISTIC = "probabilistic", "概率匹配"
    CLERICAL = "clerical", "人工核对"
    NONE = "none", "未匹配"


class FeedRecord(Timestamped):
    """One row of a department feed, identified by (kind, source key)."""

    kind = models.CharField("数据种类", max_length=40)
    source_key = models.CharField("来源记录号", max_length=100)
    batch = models.ForeignKey(
        FeedBatch,
        on_delete=models.PROTECT,
        related_name="records",
        help_text="the last batch that created or changed the record",
    )
    id_number = models.CharField(
        "公民身份号码",
        max_length=64,
        blank=True,
        db_index=True,
        help_text="normalised 18 characters when valid, else as given",
    )
    id_valid = models.BooleanField(default=False)
    name = models.CharField("姓名", max_length=100)
    sex = models.CharField("性别", max_length=1, blank=True)  # GB/T 2261.1; blank = not given
    birth_date = models.DateField("出生日期", null=True, blank=True)
    division_code = models.CharField(max_length=12, db_index=True)
    division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_date = models.DateField("发生日期", null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    row_hash = models.CharField(max_length=32)
    # Linkage to the registry (written by the linkage step).
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feed_records",
    )
    match_probability = models.FloatField(null=True, blank=True)
    link_method = models.CharField(
        max_length=16, choices=LinkMethod.choices, default=LinkMethod.NONE
    )
    linked_at = models.DateTimeField(null=True, blank=True)

    objects = FeedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "部门数据记录 / feed record"
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_key"], name="feedrecord_kind_key")
        ]
        indexes = [models.Index(fields=["kind", "event_date"], name="feedrecord_kind_date")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.source_key}"


class ClericalPair(Timestamped):
    """A feed record and a candidate person whose match probability lies between thresholds."""

    class Status(models.TextChoices):
        PENDING = "pending", "待核对"
        ACCEPTED = "accepted", "确认为同一人"
        REJECTED = "rejected", "不是同一人"

    feed_record = models.ForeignKey(
        FeedRecord, on_delete=models.CASCADE, related_name="clerical_pairs"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    match_probability = models.FloatField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "人工核对对 / clerical pair"
        constraints = [
            models.UniqueConstraint(fields=["feed_record", "person"], name="clericalpair_once")
        ]
        indexes = [models.Index(fields=["status"], name="clericalpair_status")]


class Layer(models.TextChoices):
    """The six layers of the low-income population (国办发〔2023〕39号)."""

    DIBAO = "dibao", "低保对象"
    TEKUN = "tekun", "特困人员"
    FANPIN = "fanpin", "防止返贫监测对象"
    BIANYUAN = "bianyuan", "低保边缘家庭成员"
    GANGXING = "gangxing", "刚性支出困难家庭成员"
    OTHER = "other", "其他困难人员"


FANPIN_SUBTYPES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")


class LayerMembership(Dated):
    """A person in a layer over a period; a person can hold several at once.

    ``source`` says how it is known: ``enrolment`` (a programme enrolment), ``rule`` (an
    income/expenditure test) or ``list:<batch id>`` (a department's list, e.g. 防止返贫).
    """

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="layer_memberships"
    )
    layer = models.CharField(max_length=10, choices=Layer.choices)
    subtype = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=40)

    objects = DatedManager()

    class Meta:
        verbose_name = "低收入人口层级 / layer membership"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "layer", "subtype", "valid_from"], name="layermembership_once"
            )
        ]
        indexes = [models.Index(fields=["layer", "valid_to"], name="layermembership_layer")]


# Warnings and their lifecycle live in their own module; imported here so Django sees them.
from minzheng.monitoring.alerts import (  # noqa: E402
    Alert,
    AlertEvent,
    Discovery,
    MonitorRun,
)

__all__ = [
    "Alert",
    "AlertEvent",
    "ClericalPair",
    "Discovery",
    "FeedBatch",
    "FeedRecord",
    "LayerMembership",
    "MonitorRun",
]

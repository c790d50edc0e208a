"""The household registry: one file per household, every fact dated.

Persons and households carry their current divisions (for indexed jurisdiction
filters); the dated fact tables hold the history from which the household as it
stood on any date is rebuilt.
"""

from __future__ import annotations

import uuid
from typing import cast

from django.db import models
from django.db.models import Q

from minzheng.accounts.scope import restrict
from minzheng.core.models import Dated, DatedManager, Timestamped
from minzheng.registry import codes
from minzheng.registry.codes import choices


class IdStatus(models.TextChoices):
    VALID = "valid", "有效"
    MISSING = "missing", "缺失"
    INVALID = "invalid", "无效"
    UNREGISTERED = "unregistered", "未落户"  # e.g. a newborn not yet registered
    UNIDENTIFIED = "unidentified", "身份不明"  # e.g. a rescued person


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> HouseholdQuerySet:
        """Households whose hukou or residence division lies in ``actor``'s jurisdiction."""
        return cast(
            HouseholdQuerySet, restrict(self, actor, "hukou_division", "residence_division")
        )


class PersonQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> PersonQuerySet:
        """Persons whose hukou or residence division lies in ``actor``'s jurisdiction."""
        return cast(PersonQuerySet, restrict(self, actor, "hukou_division", "residence_division"))

    def active(self) -> PersonQuerySet:
        """Persons not merged into another record."""
        return self.filter(merged_into__isnull=True)


class Household(Timestamped):
    """A household file (一户一档)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ref = models.CharField("户编号", max_length=64, unique=True)
    hukou_division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="户籍地"
    )
    residence_division = models.ForeignKey(
        "divisions.Division",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="居住地",
    )
    address = models.CharField("居住地址", max_length=200, blank=True)
    urban = models.BooleanField("城镇", null=True, blank=True)
    head = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the head's row was rejected on import: the file needs a caseworker's look.
    needs_review = models.BooleanField(default=False)
    review_note = models.CharField(max_length=200, blank=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["hukou_division"]),
            models.Index(fields=["residence_division"]),
        ]

    def __str__(self) -> str:
        return self.ref


class Person(Timestamped):
    """One natural person. The ID number identifies but is not the key (it may be missing)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("姓名", max_length=50)
    name_key = models.CharField(max_length=60, db_index=True, help_text="normalised name")
    pinyin = models.CharField(max_length=120, db_index=True, blank=True)
    initials = models.CharField(max_length=20, db_index=True, blank=True)
    id_number = models.CharField("公民身份号码", max_length=18, null=True, blank=True, unique=True)
    id_status = models.CharField(max_length=16, choices=IdStatus.choices, default=IdStatus.VALID)
    sex = models.CharField("性别", max_length=1, choices=choices(codes.SEX), default="0")
    birth_date = models.DateField("出生日期", null=True, blank=True)
    hukou_division = models.ForeignKey(
        "divisions.Division", null=True, on_delete=models.PROTECT, related_name="+"
    )
    residence_division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relationship = models.CharField(
        "与户主关系", max_length=2, choices=choices(codes.RELATIONSHIP), blank=True
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["hukou_division"]),
            models.Index(fields=["residence_division"]),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(Dated):
    """Person *p* belonged to household *h* with relationship *r* over an interval."""

    objects = DatedManager()

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(max_length=2, choices=choices(codes.RELATIONSHIP))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="one_open_membership"
            )
        ]
        indexes = [models.Index(fields=["household", "valid_from"])]


class Location(Dated):
    """Where a person's hukou is registered and where they live, over an interval."""

    objects = DatedManager()

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="locations")
    hukou_division = models.ForeignKey(
        "divisions.Division", null=True, on_delete=models.PROTECT, related_name="+"
    )
    residence_division = models.ForeignKey(
        "divisions.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=200, blank=True)
    urban = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="one_open_location"
            )
        ]


class Condition(Dated):
    """A person's labour capacity, disability, self-care, health and schooling over an interval."""

    objects = DatedManager()

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conditions")
    labour_capacity = models.CharField(max_length=8, choices=choices(codes.LABOUR), blank=True)
    disability_category = models.CharField(
        max_length=1, choices=choices(codes.DISABILITY), blank=True
    )
    disability_grade = models.CharField(
        max_length=1, choices=choices(codes.DISABILITY_GRADE), blank=True
    )
    # Daily activities failed of the six (eating, dressing, transfer, toilet, walking, bathing).
    self_care_failed = models.PositiveSmallIntegerField(null=True, blank=True)
    health = models.CharField(max_length=8, choices=choices(codes.HEALTH), blank=True)
    schooling = models.CharField(max_length=12, choices=choices(codes.SCHOOLING), blank=True)

    FIELDS = (
        "labour_capacity",
        "disability_category",
        "disability_grade",
        "self_care_failed",
        "health",
        "schooling",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="one_open_condition"
            )
        ]


class Income(Dated):
    """A person's monthly income of one kind, in fen, over an interval."""

    objects = DatedManager()

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="incomes")
    kind = models.CharField(max_length=10, choices=choices(codes.INCOME_KIND))
    monthly_fen = models.BigIntegerField()
    source = models.CharField(max_length=20, default="declared")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(valid_to__isnull=True),
                name="one_open_income_per_kind",
            )
        ]


class Asset(Dated):
    """A household asset: financial (value), homes, vehicles (count), business registrations."""

    objects = DatedManager()

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assets")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    kind = models.CharField(max_length=10, choices=choices(codes.ASSET_KIND))
    value_fen = models.BigIntegerField(default=0)
    quantity = models.PositiveIntegerField(default=1)
    description = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="declared")

    class Meta:
        indexes = [models.Index(fields=["household", "kind"])]


class ImportBatch(Timestamped):
    """One run of an import: who, which file, what happened (the report)."""

    kind = models.CharField(max_length=20, default="registry")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, default="running")  # running / done / failed
    rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

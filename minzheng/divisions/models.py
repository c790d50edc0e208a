"""Administrative divisions (GB/T 2260 and the 12-digit statistical codes), with history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    NATION = 0, _("国家")
    PROVINCE = 1, _("省级")
    PREFECTURE = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡级")
    VILLAGE = 5, _("村级")


# How many leading digits of the 12-digit code identify a division of each level.
PREFIX_LEN = {
    Level.NATION: 0,
    Level.PROVINCE: 2,
    Level.PREFECTURE: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}


def code_prefix(code12: str, level: int) -> str:
    """The significant digits of a 12-digit code at ``level`` ("440106000000", 3 → "440106")."""
    return code12[: PREFIX_LEN[Level(level)]]


class DivisionQuerySet(models.QuerySet):
    def current(self) -> DivisionQuerySet:
        """Divisions in force today (retired codes excluded)."""
        return self.filter(valid_to__isnull=True)

    def within(self, division: Division) -> DivisionQuerySet:
        """``division`` and every current division below it (code-prefix range on an index)."""
        prefix = division.prefix
        if not prefix:
            return self.current()
        return self.current().filter(code__startswith=prefix)


class Division(models.Model):
    """One administrative division.

    ``code`` is always the 12-digit statistical code (county 440106 → "440106000000").
    A retired code stays as a row with ``valid_to`` set and ``successor`` pointing at
    the division that carries its people today; a re-coding changes ``code`` in place
    and leaves such a retired row for the old one, so foreign keys never move.
    """

    code = models.CharField(max_length=12, db_index=True)
    name = models.CharField(max_length=100)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors"
    )
    # GB/T 2260 urban-rural class of a village (111 … 220); blank above village level.
    urban_rural = models.CharField(max_length=3, blank=True)

    objects = DivisionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_to__isnull=True),
                name="division_code_current_uniq",
            )
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.short_code}）"

    @property
    def prefix(self) -> str:
        """Leading digits that every division inside this one shares."""
        return code_prefix(self.code, self.level)

    @property
    def short_code(self) -> str:
        """6 digits down to county level, 9 for townships, 12 for villages."""
        return self.code[: max(6, PREFIX_LEN[Level(self.level)])]

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class ChangeKind(models.TextChoices):
    CREATE = "create", _("新设")
    RENAME = "rename", _("更名")
    RECODE = "recode", _("改码")
    MERGE = "merge", _("合并")
    SPLIT = "split", _("拆分")
    ABOLISH = "abolish", _("撤销")
    UPGRADE = "upgrade", _("撤县设市/设区")
    TRANSFER = "transfer", _("划转")
    OTHER = "other", _("其他")


class DivisionChange(models.Model):
    """One event of the division history: old code/name → new code/name on a date."""

    date = models.DateField()
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    label = models.CharField(max_length=20, blank=True, help_text="the source's own type name")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    old_code = models.CharField(max_length=12, blank=True, db_index=True)
    old_name = models.CharField(max_length=100, blank=True)
    new_code = models.CharField(max_length=12, blank=True, db_index=True)
    new_name = models.CharField(max_length=100, blank=True)
    doc_no = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=100, blank=True)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "label", "old_code", "new_code", "old_name", "new_name"],
                name="division_change_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.old_code}{self.old_name} → {self.new_code}{self.new_name}"

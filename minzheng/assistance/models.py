"""Assistance data: dated, region-scoped parameters (cases, enrolments and payments follow)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

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


# --- cases ----------------------------------------------------------------------------------
class Programme(models.TextChoices):
    DIBAO = "dibao", "最低生活保障"
    TEKUN = "tekun", "特困人员救助供养"
    TEMPORARY = "temporary", "临时救助"
    PRICE = "price", "价格临时补贴"


class Channel(models.TextChoices):
    IN_PERSON = "in_person", "本人申请"
    PROXY = "proxy", "委托代办"
    ONLINE = "online", "网上申请"


class CaseState(models.TextChoices):
    APPLIED = "applied", "已申请"
    ACCEPTED = "accepted", "已受理"
    INVESTIGATED = "investigated", "已调查核对"
    REVIEWED = "reviewed", "乡镇已初审"
    PUBLICITY = "publicity", "公示中"
    PUBLICISED = "publicised", "公示期满"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_STATES = (
    CaseState.APPLIED,
    CaseState.ACCEPTED,
    CaseState.INVESTIGATED,
    CaseState.REVIEWED,
    CaseState.PUBLICITY,
    CaseState.PUBLICISED,
)


class CaseQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> CaseQuerySet:
        """Cases where the actor's jurisdiction covers the township that received the
        application or the county responsible for deciding it (both see a routed case)."""
        from minzheng.accounts.scope import restrict

        return restrict(self, actor, "received_division", "responsible_division")


class Case(ConcurrentTransitionMixin, Timestamped):
    """One application for assistance, from intake to the decision notice.

    Every transition is a service in :mod:`minzheng.assistance.cases` that records an
    event on the household's timeline; a decision is made by a user other than the one
    who entered or reviewed the case; two concurrent decisions leave exactly one (the
    state is checked in the UPDATE).
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ref = models.CharField("案件编号", max_length=40, unique=True)
    programme = models.CharField("救助项目", max_length=12, choices=Programme.choices)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="cases"
    )
    applicant = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("申请方式", max_length=10, choices=Channel.choices)
    proxy_name = models.CharField("代办人", max_length=50, blank=True)
    received_division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="受理乡镇"
    )
    responsible_division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="审批县区"
    )
    non_hukou = models.BooleanField("非户籍地申请", default=False)
    state = FSMField("状态", max_length=14, choices=CaseState.choices, default=CaseState.APPLIED,
                     protected=True)  # fmt: skip
    urgent = models.BooleanField("急难型", default=False)
    emergency_need_fen = models.BigIntegerField("申请救助金额", default=0)
    declaration = models.JSONField("申请声明", default=dict, blank=True)
    assessment = models.JSONField("核对结果", default=dict, blank=True)
    applied_on = models.DateField("申请日期")
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    deadline = models.DateField("办结时限", null=True, blank=True)
    deadline_note = models.CharField(max_length=200, blank=True)
    publicity_from = models.DateField("公示开始", null=True, blank=True)
    publicity_until = models.DateField("公示截止", null=True, blank=True)
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    amount_fen = models.BigIntegerField("核定月保障金", default=0)
    covered_persons = models.PositiveSmallIntegerField("保障人数", default=0)
    notice_due = models.DateField("告知时限", null=True, blank=True)
    noticed_on = models.DateField("告知日期", null=True, blank=True)
    escalated = models.BooleanField("已督办", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "救助申请"
        verbose_name_plural = "救助申请"
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["household", "programme"]),
        ]

    def __str__(self) -> str:
        return self.ref

    # Transitions: the state machine only; services add the checks, dates and events.
    @transition(field=state, source=CaseState.APPLIED, target=CaseState.ACCEPTED)
    def accept(self) -> None: ...

    @transition(field=state, source=CaseState.ACCEPTED, target=CaseState.INVESTIGATED)
    def investigate(self) -> None: ...

    @transition(field=state, source=CaseState.INVESTIGATED, target=CaseState.REVIEWED)
    def review(self) -> None: ...

    @transition(field=state, source=CaseState.REVIEWED, target=CaseState.PUBLICITY)
    def publicise(self) -> None: ...

    @transition(field=state, source=CaseState.PUBLICITY, target=CaseState.PUBLICISED)
    def close_publicity(self) -> None: ...

    @transition(field=state, source=CaseState.PUBLICISED, target=CaseState.APPROVED)
    def approve(self) -> None: ...

    @transition(
        field=state,
        source=[CaseState.ACCEPTED, CaseState.INVESTIGATED, CaseState.REVIEWED,
                CaseState.PUBLICISED],
        target=CaseState.REFUSED,
    )  # fmt: skip
    def refuse(self) -> None: ...

    @transition(field=state, source=list(OPEN_STATES), target=CaseState.WITHDRAWN)
    def withdraw(self) -> None: ...


class CaseEvent(models.Model):
    """One step of a case (also written to the audit trail, so it is on the household's
    timeline): who, when, from which state to which, and what they noted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=14, blank=True)
    to_state = models.CharField(max_length=14, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"


class AttachmentKind(models.TextChoices):
    APPLICATION = "application", "申请书"
    AUTHORISATION = "authorisation", "家庭经济状况核对授权书"
    VISIT_PHOTO = "visit_photo", "入户调查照片"
    NOTICE = "notice", "告知书"
    OTHER = "other", "其他材料"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.uid}/{uuid.uuid4().hex}-{filename[-80:]}"


class Attachment(models.Model):
    """A document kept with the case (stored under MEDIA_ROOT, included in backups)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("材料类型", max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField("文件名", max_length=120)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class HomeVisit(models.Model):
    """入户调查: the visit record with its checklist."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField("调查日期")
    visitors = models.CharField("调查人员", max_length=100)
    checklist = models.JSONField("调查项目", default=dict)
    findings = models.TextField("调查情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"入户调查 {self.visited_on}"


class Objection(models.Model):
    """An objection raised during publicity, and how it was resolved."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField("收到日期")
    raised_by = models.CharField("反映人", max_length=50, blank=True)
    content = models.TextField("异议内容")
    resolution = models.TextField("核实处理情况", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"异议 {self.received_on}"


# --- enrolments and payments ------------------------------------------------------------------
class EnrolmentState(models.TextChoices):
    ACTIVE = "active", "在保"
    GRADUAL_EXIT = "gradual_exit", "渐退期"
    SUSPENDED = "suspended", "暂停"
    TERMINATED = "terminated", "终止"


class EnrolmentQuerySet(models.QuerySet):
    def visible_to(self, actor: object) -> EnrolmentQuerySet:
        from minzheng.accounts.scope import restrict

        return restrict(self, actor, "division")


class Enrolment(Timestamped):
    """A household's (or, for 特困 and 单人保, a person's) place in a programme."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.CharField("救助项目", max_length=12, choices=Programme.choices)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="enrolments"
    )
    payee = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name="领取人"
    )
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="审批县区"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=14, choices=EnrolmentState.choices, default=EnrolmentState.ACTIVE
    )
    amount_fen = models.BigIntegerField("月保障金")
    covered_persons = models.PositiveSmallIntegerField("保障人数", default=1)
    valid_from = models.DateField("保障起始")
    valid_to = models.DateField("保障截止", null=True, blank=True)
    next_review = models.DateField("下次复核", null=True, blank=True)
    exit_until = models.DateField("渐退期截止", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=20, blank=True)
    bank_account = models.CharField("银行账号", max_length=40, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = "救助对象"
        verbose_name_plural = "救助对象"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "programme", "payee"],
                condition=~models.Q(state="terminated"),
                name="one_open_enrolment_per_programme",
            )
        ]


class Roster(Timestamped):
    """The monthly payment list of one county and programme (regenerating is idempotent)."""

    division = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    programme = models.CharField(max_length=12, choices=Programme.choices)
    month = models.DateField("发放月份")  # first day of the month
    rows = models.PositiveIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["division", "programme", "month"], name="one_roster_per_county_month"
            )
        ]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待发放"
    PAID = "paid", "已发放"
    FAILED = "failed", "发放失败"


class Payment(models.Model):
    """One payee's money for one month of one programme: never twice (unique constraint)."""

    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="payments")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="payments")
    payee = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    programme = models.CharField(max_length=12, choices=Programme.choices)
    month = models.DateField()
    kind = models.CharField(max_length=10, default="regular")  # regular / backpay / recovery / once
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)  # fmt: skip
    bank_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payee", "programme", "month", "kind"], name="paid_once_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.month:%Y-%m} {self.amount_fen}"


class EndReason(models.TextChoices):
    DEATH = "death", "死亡"
    MOVED = "moved", "迁出"
    INCOME = "income", "收入超过标准"
    REFUSED_REVIEW = "refused_review", "拒不配合复核"
    IMPRISONED = "imprisoned", "服刑"
    EXIT_ENDED = "exit_ended", "渐退期满"
    OTHER = "other", "其他"


class EnrolmentChange(models.Model):
    """A change of amount from an effective month, with the back-pay (+) or recovery (−) it
    leaves for months already paid; the next roster settles it."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="changes")
    effective = models.DateField("生效月份")
    old_fen = models.BigIntegerField()
    new_fen = models.BigIntegerField()
    adjustment_fen = models.BigIntegerField("补发/追回", default=0)
    reason = models.CharField("原因", max_length=200)
    settled_in = models.ForeignKey(
        Roster, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.effective:%Y-%m} {self.old_fen}→{self.new_fen}"


class PriceIndex(models.Model):
    """Monthly CPI and food CPI, year on year, in per mille (3.6% → 36), by region."""

    division_prefix = models.CharField("区划代码前缀", max_length=12, blank=True)
    month = models.DateField("月份")
    cpi_permille = models.IntegerField("CPI 同比（‰）")
    food_permille = models.IntegerField("食品 CPI 同比（‰）")
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["division_prefix", "month"], name="one_index_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.division_prefix or '全国'} {self.month:%Y-%m}"

"""The enrolment lifecycle: recompute from an effective month (back-pay or recovery),
gradual exit, suspension, termination with a reason, reviews due, and the annual standard
raise applied to every enrolment of a region in one batch, previewed first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.assistance.cases import add_months, parameter_value
from minzheng.assistance.models import (
    EndReason,
    Enrolment,
    EnrolmentChange,
    EnrolmentState,
    Payment,
    PaymentStatus,
)
from minzheng.core.errors import BilingualError


class EnrolmentError(BilingualError):
    pass


def _audit(
    actor: User | None, e: Enrolment, action: str, changes: dict[str, Any], text: str
) -> None:
    audit_record(
        actor=actor,
        events=[Audit(action=action, object_type="enrolment", object_id=str(e.uid),
                      household_id=e.household_id, changes=changes, summary=text)],
    )  # fmt: skip


def _open(e: Enrolment) -> None:
    if e.state == EnrolmentState.TERMINATED:
        raise EnrolmentError("terminated", "保障已终止", "the enrolment has ended")


@transaction.atomic
def enrolment_recompute(
    *, actor: User | None, enrolment: Enrolment, amount_fen: int, effective: dt.date, reason: str
) -> EnrolmentChange | None:
    """A new monthly amount from the month of ``effective``.

    Months from then on that were already paid leave a back-pay (higher amount) or a
    recovery (lower) of the difference, settled on the next roster. Returns the change,
    or ``None`` if the amount is the same.
    """
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    _open(e)
    if amount_fen < 0:
        raise EnrolmentError("amount", "金额不能为负数", "the amount cannot be negative")
    if amount_fen == e.amount_fen:
        return None
    month = effective.replace(day=1)
    paid = _paid_months(e, month)
    change = EnrolmentChange.objects.create(
        enrolment=e,
        effective=month,
        old_fen=e.amount_fen,
        new_fen=amount_fen,
        adjustment_fen=(amount_fen - e.amount_fen) * paid,
        reason=reason,
        actor=actor,
    )
    # Pending lines of those months follow the new amount when their roster is regenerated.
    Payment.objects.filter(
        enrolment=e, kind="regular", month__gte=month, status=PaymentStatus.PENDING
    ).update(amount_fen=amount_fen)
    e.amount_fen = amount_fen
    e.save(update_fields=["amount_fen", "updated_at"])
    _audit(actor, e, "recompute", {"from": change.old_fen, "to": amount_fen,
           "effective": month.isoformat(), "adjustment_fen": change.adjustment_fen},
           f"保障金调整 {change.old_fen / 100:.2f}→{amount_fen / 100:.2f} 元（{reason}）")  # fmt: skip
    return change


def _paid_months(e: Enrolment, month: dt.date) -> int:
    return Payment.objects.filter(
        enrolment=e, kind="regular", month__gte=month, status=PaymentStatus.PAID
    ).count()


@dataclass(frozen=True)
class RecomputePreview:
    """What :func:`enrolment_recompute` would do: the amounts, the months already paid from
    the effective month, and the back-pay (+) or recovery (−) they leave."""

    old_fen: int
    new_fen: int
    effective: dt.date
    paid_months: int

    @property
    def adjustment_fen(self) -> int:
        return (self.new_fen - self.old_fen) * self.paid_months


def recompute_preview(
    *, enrolment: Enrolment, amount_fen: int, effective: dt.date
) -> RecomputePreview:
    """The effect of a new amount from ``effective``, changing nothing (shown before confirming)."""
    _open(enrolment)
    if amount_fen < 0:
        raise EnrolmentError("amount", "金额不能为负数", "the amount cannot be negative")
    month = effective.replace(day=1)
    return RecomputePreview(enrolment.amount_fen, amount_fen, month, _paid_months(enrolment, month))


def outstanding(enrolment: Enrolment) -> int:
    """Back-pay (+) or recovery (−) not yet settled on a roster."""
    got = EnrolmentChange.objects.filter(enrolment=enrolment, settled_in__isnull=True).aggregate(
        s=Sum("adjustment_fen")
    )
    return int(got["s"] or 0)


@transaction.atomic
def enrolment_gradual_exit(*, actor: User | None, enrolment: Enrolment, on: dt.date) -> Enrolment:
    """渐退期: income rose above the standard after finding work; payment continues for the
    region's gradual-exit months, then ends."""
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if e.state != EnrolmentState.ACTIVE:
        raise EnrolmentError("bad_state", "只有在保对象可以进入渐退期", "only an active enrolment")
    months = parameter_value("gradual_exit_months", e.division, on)
    e.state, e.exit_until = EnrolmentState.GRADUAL_EXIT, add_months(on.replace(day=1), months)
    e.save(update_fields=["state", "exit_until", "updated_at"])
    _audit(actor, e, "gradual_exit", {"until": e.exit_until.isoformat()},
           f"进入渐退期至 {e.exit_until.isoformat()}")  # fmt: skip
    return e


@transaction.atomic
def enrolment_suspend(*, actor: User | None, enrolment: Enrolment, reason: str) -> Enrolment:
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if e.state not in (EnrolmentState.ACTIVE, EnrolmentState.GRADUAL_EXIT):
        raise EnrolmentError(
            "bad_state", "只能暂停在保对象", "only a paid enrolment can be suspended"
        )
    e.state = EnrolmentState.SUSPENDED
    e.save(update_fields=["state", "updated_at"])
    _audit(actor, e, "suspend", {"reason": reason}, f"暂停发放（{reason}）")
    return e


@transaction.atomic
def enrolment_resume(*, actor: User | None, enrolment: Enrolment) -> Enrolment:
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if e.state != EnrolmentState.SUSPENDED:
        raise EnrolmentError("bad_state", "只能恢复已暂停的对象", "only a suspended enrolment")
    e.state = EnrolmentState.GRADUAL_EXIT if e.exit_until else EnrolmentState.ACTIVE
    e.save(update_fields=["state", "updated_at"])
    _audit(actor, e, "resume", {}, "恢复发放")
    return e


@transaction.atomic
def enrolment_terminate(
    *, actor: User | None, enrolment: Enrolment, reason: str, on: dt.date
) -> Enrolment:
    """End the enrolment from the month after ``on``; pending later payments are dropped."""
    if reason not in EndReason.values:
        raise EnrolmentError("reason", "终止原因无效", f"unknown reason {reason!r}")
    e = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    _open(e)
    end = add_months(on.replace(day=1), 1)
    e.state, e.valid_to, e.end_reason = EnrolmentState.TERMINATED, end, reason
    e.save(update_fields=["state", "valid_to", "end_reason", "updated_at"])
    Payment.objects.filter(enrolment=e, month__gte=end, status=PaymentStatus.PENDING).delete()
    _audit(actor, e, "terminate", {"reason": reason, "from": end.isoformat()},
           f"终止保障（{EndReason(reason).label}），自 {end.isoformat()} 起停发")  # fmt: skip
    return e


def enrolments_expire(today: dt.date) -> int:
    """End gradual exits whose period is over (the nightly job)."""
    n = 0
    for e in Enrolment.objects.filter(state=EnrolmentState.GRADUAL_EXIT, exit_until__lte=today):
        enrolment_terminate(actor=None, enrolment=e, reason=EndReason.EXIT_ENDED,
                            on=add_months(e.exit_until, -1))  # fmt: skip
        n += 1
    return n


def reviews_due_query(actor: User, today: dt.date) -> QuerySet[Enrolment]:
    """:func:`reviews_due` as a query (for a paginated list)."""
    return (
        Enrolment.objects.visible_to(actor)
        .exclude(state=EnrolmentState.TERMINATED)
        .filter(next_review__lte=today)
        .select_related("household", "payee")
        .order_by("next_review", "pk")
    )


def reviews_due(actor: User, today: dt.date) -> list[Enrolment]:
    """Open enrolments in the actor's jurisdiction whose review date has come."""
    return list(reviews_due_query(actor, today))


def review_done(*, actor: User | None, enrolment: Enrolment, on: dt.date) -> Enrolment:
    """Record a review; the next is due after the region's interval."""
    from minzheng.registry.models import Person

    e = enrolment
    working = any(
        p.birth_date and 18 <= (on - p.birth_date).days // 365 < 60
        for p in Person.objects.filter(household_id=e.household_id).active()
    )
    months = parameter_value("review_months_working" if working else "review_months_stable",
                             e.division, on)  # fmt: skip
    e.next_review = add_months(on, months)
    e.save(update_fields=["next_review", "updated_at"])
    _audit(actor, e, "review", {"next": e.next_review.isoformat()}, "复核完成")
    return e


# --- the annual standard raise -------------------------------------------------------------
@dataclass
class RaiseLine:
    enrolment: Enrolment
    old_fen: int
    new_fen: int

    @property
    def change_fen(self) -> int:
        return self.new_fen - self.old_fen


def standard_raise_preview(
    *, prefix: str, programme: str, rows_after: Sequence[dict[str, Any]], on: dt.date
) -> list[RaiseLine]:
    """Each open enrolment of ``programme`` whose county starts with ``prefix``, with the
    amount the programme's rule gives its household under the new parameter rows."""
    from minzheng.assistance.batch import eligibility_batch
    from minzheng.assistance.catalogue import engine_table
    from minzheng.engine import snapshot_take

    enrolments = list(
        Enrolment.objects.filter(programme=programme, division__code__startswith=prefix)
        .exclude(state=EnrolmentState.TERMINATED)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("household")
    )
    if not enrolments:
        return []
    households = sorted({e.household_id for e in enrolments})
    snap = snapshot_take(on=on, households=households, via="connection")
    result = eligibility_batch(snap.tables, as_of=on, parameter=engine_table(rows_after),
                               programmes=[programme], indicators=False)[programme].table  # fmt: skip
    if programme == "tekun":
        from minzheng.registry.models import Person

        by_person = dict(zip(result["subject_sk"].to_pylist(), result["amount_fen"].to_pylist(),
                             strict=True))  # fmt: skip
        amount = {e.pk: by_person.get(e.payee_id) for e in enrolments}
        del Person
    else:
        by_household = dict(zip(result["subject_sk"].to_pylist(), result["amount_fen"].to_pylist(),
                                strict=True))  # fmt: skip
        amount = {e.pk: by_household.get(e.household_id) for e in enrolments}
    return [RaiseLine(e, e.amount_fen, int(amount[e.pk] or 0)) for e in enrolments]


@transaction.atomic
def standard_raise_apply(
    *, actor: User | None, lines: Sequence[RaiseLine], effective: dt.date, reason: str
) -> int:
    """Recompute every previewed enrolment whose amount changes (a raise never lowers an
    amount to zero here: a household the new rule no longer covers is left for review)."""
    n = 0
    for line in lines:
        if line.new_fen <= 0 or line.new_fen == line.old_fen:
            continue
        enrolment_recompute(actor=actor, enrolment=line.enrolment, amount_fen=line.new_fen,
                            effective=effective, reason=reason)  # fmt: skip
        n += 1
    return n

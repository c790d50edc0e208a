"""Who may enter and approve, the lock, the writes (values, submit, approve, return), reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_record
from minzheng.divisions.models import Division
from minzheng.stats.datasets.base import (
    ENTRY_LEVEL,
    LEVEL_DIGITS,
    ST,
    DataSet,
    DataSetError,
    Violation,
    dataset_get,
    fmt,
    indicator_get,
    period_label,
)
from minzheng.stats.datasets.validation import stored_values, validate
from minzheng.stats.models import (
    ApprovalAction,
    DataApproval,
    DataApprovalEvent,
    DataValue,
)
from minzheng.stats.periods import parse_period

# --- who may do what; locks --------------------------------------------------------------


def _is_system(actor: User) -> bool:
    return actor.username == settings.MINZHENG_SYSTEM_USER


def may_enter(actor: User, division: Division) -> bool:
    """County staff (or anyone above holding a writing role, or the CLI's system account)
    may type a county's values; analysts and administrators only read."""
    if division.level != ENTRY_LEVEL or not division.is_current:
        return False
    return _is_system(actor) or bool(actor.can_edit_registry and covers(actor, division))


def may_approve(actor: User, division: Division) -> bool:
    """The approver of the level just above ``division`` (prefecture for a county …)."""
    own = actor.division
    return bool(
        actor.is_active
        and actor.has_role(Role.APPROVER)
        and own is not None
        and own.is_current
        and division.level in (1, 2, 3)
        and own.level == division.level - 1
        and covers(actor, division)
    )


def _ancestor_codes(division: Division) -> list[str]:
    """12-digit codes of ``division`` and the levels above it down from the province."""
    return [division.code[:n].ljust(12, "0") for n in (2, 4, 6)[: division.level]]


def lock_reason(dataset: str, period: str, division: Division) -> tuple[str, str] | None:
    """Why the county's values of ``dataset`` for ``period`` may not change, if they may not."""
    rows = {
        a.division_code: a
        for a in DataApproval.objects.filter(
            dataset=dataset, period=period, division_code__in=_ancestor_codes(division)
        ).select_related("division")
    }
    own = rows.get(division.code)
    name = f"{dataset_get(dataset).zh} {period} {division.name}"
    name_en = f"{dataset} {period} {division.short_code}"
    if own and own.state == ST.APPROVED:
        return (
            f"{name} 已审批锁定，任何人不能修改；如需更正，请审批单位先退回",
            f"{name_en} is approved and locked: nobody may change it; "
            "ask the approving level to return it first",
        )
    if own and own.state == ST.SUBMITTED:
        return (
            f"{name} 已上报待审批，不能修改；如需修改，请上级退回",
            f"{name_en} has been submitted for approval: it cannot be changed unless the "
            "level above returns it",
        )
    above = [a for a in rows.values() if a.level < division.level and a.state == ST.APPROVED]
    if above:
        return (
            f"{name}：上级 {above[0].division.name} 已审批，本期数据已锁定",
            f"{name_en}: {above[0].division_code[:4]} above is approved; the period is locked",
        )
    return None


def _lock_rows(dataset_codes: Iterable[str], period: str, division: Division) -> None:
    """Take the approval rows of ``division``'s data sets (created if new), in pk order."""
    codes = sorted(set(dataset_codes))
    for code in codes:
        DataApproval.objects.get_or_create(
            dataset=code,
            period=period,
            division=division,
            defaults={"division_code": division.code, "level": division.level},
        )
    list(
        DataApproval.objects.select_for_update()
        .filter(dataset__in=codes, period=period, division=division)
        .order_by("pk")
    )


def _refuse_if_locked(dataset: str, period: str, division: Division) -> None:
    reason = lock_reason(dataset, period, division)
    if reason:
        raise DataSetError("locked", *reason)


def _refuse_entry(actor: User, division: Division) -> None:
    if division.level != ENTRY_LEVEL:
        raise DataSetError(
            "invalid",
            f"{division.name} 不是县级区划：数据只在县级填报，上级为下级之和",
            f"{division.short_code} is not a county: values are entered per county and "
            "summed above",
        )
    if not may_enter(actor, division):
        raise DataSetError(
            "forbidden",
            f"您无权填报 {division.name} 的数据（不在辖区内或角色无填报权限）",
            f"you may not enter values for {division.short_code} (outside your jurisdiction "
            "or your role may not enter data)",
        )


# --- writes ------------------------------------------------------------------------------


@dataclass
class Entry:
    """One indicator of a form: ``value`` in base units (``None``: no value, delete);
    ``comment`` / ``justification`` ``None`` leave the stored text as it is."""

    value: Decimal | None
    comment: str | None = None
    justification: str | None = None


@dataclass
class Saved:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    violations: list[Violation] = field(default_factory=list)


@transaction.atomic
def values_save(
    *, actor: User, division: Division, period: str, entries: Mapping[str, Entry], source: str = ""
) -> Saved:
    """Write a county's values for ``period`` (refused when locked or out of reach), audited.

    Returns the counts and the validation messages of the data sets touched afterwards.
    """
    label = period_label(period)
    _refuse_entry(actor, division)
    by_set: dict[str, dict[str, Entry]] = defaultdict(dict)
    for code, entry in entries.items():
        ind = indicator_get(code)
        by_set[ind.section][ind.code] = entry
    _lock_rows(by_set, label, division)
    for ds in sorted(by_set):
        _refuse_if_locked(ds, label, division)
    saved, events = Saved(), []
    for ds, group in sorted(by_set.items()):
        stored = stored_values(dataset_get(ds), label, division)
        for code, entry in group.items():
            events += _write(actor, division, label, code, entry, stored.get(code), saved)
    audit_record(actor=actor, source=source, events=events)
    for ds in sorted(by_set):
        saved.violations += validate(dataset=ds, period=label, division=division)
    return saved


def _write(
    actor: User, division: Division, period: str, code: str, entry: Entry,
    row: DataValue | None, saved: Saved,
) -> list[Audit]:  # fmt: skip
    where = {"indicator": code, "period": period, "division": division.code}
    if entry.value is None:
        if row is None:
            saved.unchanged += 1
            return []
        old = fmt(row.value)
        row.delete()
        saved.deleted += 1
        return [Audit("delete", "datavalue", f"{code}/{period}/{division.code}",
                      changes={**where, "value": [old, None]}, summary=f"删除填报值 {code} {period}")]  # fmt: skip
    if row is None:
        row = DataValue(indicator=code, period=period, division=division,
                        division_code=division.code, created_by=actor)  # fmt: skip
    diff = _diff(row, entry)
    if not diff:
        saved.unchanged += 1
        return []
    action = "create" if row.pk is None else "update"
    row.updated_by = actor
    row.full_clean()
    row.save()
    if action == "create":
        saved.created += 1
    else:
        saved.updated += 1
    return [Audit(action, "datavalue", row.pk, changes={**where, **diff},
                  summary=f"填报 {code} {period} {division.name}")]  # fmt: skip


def _diff(row: DataValue, entry: Entry) -> dict[str, list[str | None]]:
    diff: dict[str, list[str | None]] = {}
    old = None if row.pk is None else row.value
    if old is None or Decimal(old) != entry.value:
        diff["value"] = [fmt(old) if old is not None else None, fmt(entry.value)]
        row.value = entry.value  # type: ignore[assignment]
    for name in ("comment", "justification"):
        new = getattr(entry, name)
        if new is not None and new.strip() != getattr(row, name):
            diff[name] = [getattr(row, name), new.strip()]
            setattr(row, name, new.strip())
    return diff


def _approval_row(dataset: str, period: str, division: Division) -> DataApproval:
    _lock_rows([dataset], period, division)
    return DataApproval.objects.select_related("division").get(
        dataset=dataset, period=period, division=division
    )


def _step(
    actor: User, row: DataApproval, action: str, state: str, reason: str = "", source: str = ""
) -> DataApproval:
    before = row.state
    row.state, row.updated_by = state, actor
    row.save()
    DataApprovalEvent.objects.create(
        approval=row, action=action, state_before=before, state_after=state,
        reason=reason, actor=actor,
    )  # fmt: skip
    names = dict(ApprovalAction.choices)
    audit_record(
        actor=actor,
        source=source,
        events=[Audit(action, "dataapproval", row.pk,
                      changes={"dataset": row.dataset, "period": row.period,
                               "division": row.division_code, "state": [before, state],
                               **({"reason": reason} if reason else {})},
                      summary=f"{names[action]} {row.dataset} {row.period} {row.division.name}")],
    )  # fmt: skip
    return row


@transaction.atomic
def dataset_submit(
    *, actor: User, dataset: str, period: str, division: Division, source: str = ""
) -> DataApproval:
    """A county reports its data set for ``period``: whole, and every violation either
    corrected or justified; the values are read-only from now on."""
    ds, label = dataset_get(dataset), period_label(period)
    _refuse_entry(actor, division)
    row = _approval_row(ds.code, label, division)
    _refuse_if_locked(ds.code, label, division)
    blocking = [
        v for v in validate(dataset=ds.code, period=label, division=division, complete=True)
        if v.blocking
    ]  # fmt: skip
    if blocking:
        raise DataSetError(
            "violations",
            "未通过校验，不能上报：" + "；".join(v.zh for v in blocking),
            "the form fails validation and cannot be submitted: "
            + "; ".join(v.en for v in blocking),
            blocking,
        )
    return _step(actor, row, ApprovalAction.SUBMIT, ST.SUBMITTED, source=source)


@transaction.atomic
def dataset_approve(
    *, actor: User, dataset: str, period: str, division: Division, source: str = ""
) -> DataApproval:
    """The level above approves ``division``'s data set: a county's submission, or a
    prefecture's (province's) total once every reporting division below is approved."""
    ds, label = dataset_get(dataset), period_label(period)
    _refuse_approver(actor, division)
    row = _approval_row(ds.code, label, division)
    if row.state == ST.APPROVED:
        raise DataSetError(
            "invalid", f"{division.name} {label} 已审批", f"{division.short_code} {label} is already approved"
        )  # fmt: skip
    if division.level == ENTRY_LEVEL and row.state != ST.SUBMITTED:
        raise DataSetError(
            "invalid",
            f"{division.name} 尚未上报 {ds.zh} {label}，不能审批",
            f"{division.short_code} has not submitted {ds.code} {label}: nothing to approve",
        )
    if division.level < ENTRY_LEVEL:
        _refuse_unless_children_approved(ds, label, division)
    return _step(actor, row, ApprovalAction.APPROVE, ST.APPROVED, source=source)


def _refuse_approver(actor: User, division: Division) -> None:
    if not may_approve(actor, division):
        raise DataSetError(
            "forbidden",
            f"只有上一级区划的审批人员可以审批或退回 {division.name} 的数据",
            f"only an approver of the division just above {division.short_code} may approve "
            "or return its data",
        )


def _refuse_unless_children_approved(ds: DataSet, period: str, division: Division) -> None:
    kids = DataApproval.objects.filter(
        dataset=ds.code, period=period, level=division.level + 1,
        division_code__startswith=division.prefix,
    ).select_related("division")  # fmt: skip
    waiting = [k.division.name for k in kids if k.state != ST.APPROVED]
    if waiting or not kids:
        names = "、".join(waiting) or "—"
        raise DataSetError(
            "invalid",
            f"{division.name} 下级尚未全部审批（{names}），不能审批 {ds.zh} {period}",
            f"not every reporting division below {division.short_code} is approved "
            f"({len(waiting)} waiting, {len(kids)} reporting): {ds.code} {period} cannot be "
            "approved yet",
        )


@transaction.atomic
def dataset_return(
    *, actor: User, dataset: str, period: str, division: Division, reason: str, source: str = ""
) -> DataApproval:
    """The level above sends a submission or approval back with a reason (the values open
    again for a county) — only while that level is not itself approved."""
    ds, label = dataset_get(dataset), period_label(period)
    _refuse_approver(actor, division)
    if not reason.strip():
        raise DataSetError("invalid", "退回须填写理由", "give a reason for returning the data")
    row = _approval_row(ds.code, label, division)
    if row.state not in (ST.SUBMITTED, ST.APPROVED):
        raise DataSetError(
            "invalid",
            f"{division.name} {ds.zh} {label} 未上报或未审批，无需退回",
            f"{division.short_code} {ds.code} {label} is neither submitted nor approved",
        )
    parent = actor.division
    if parent is not None and approval_state(ds.code, label, parent.code) == ST.APPROVED:
        raise DataSetError(
            "locked",
            f"{parent.name} 的 {ds.zh} {label} 已被上级审批，须先由上级退回，才能退回下级",
            f"{parent.short_code} {ds.code} {label} is approved above: it must be returned "
            "first before it can return a division below",
        )
    return _step(actor, row, ApprovalAction.RETURN, ST.RETURNED, reason.strip(), source)


# --- reads -------------------------------------------------------------------------------


def approval_state(dataset: str, period: str, division_code: str) -> str:
    """``open`` / ``submitted`` / ``approved`` / ``returned`` of one division's data set."""
    code = division_code.ljust(12, "0")
    label = parse_period(period).label
    row = DataApproval.objects.filter(dataset=dataset, period=label, division_code=code).first()
    return row.state if row else ST.OPEN


def entered_values(period: str, prefix: str = "") -> dict[tuple[str, int, str], Decimal]:
    """``(indicator, level, division prefix) → value`` in base units, summed from the
    counties to every level 0–3, for the divisions whose code starts with ``prefix``."""
    label = parse_period(period).label
    qs = DataValue.objects.filter(period=label)
    if prefix:
        qs = qs.filter(division_code__startswith=prefix)
    levels = [(lv, n) for lv, n in LEVEL_DIGITS.items() if n >= len(prefix)]
    out: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for code, div, value in qs.values_list("indicator", "division_code", "value"):
        for level, digits in levels:
            out[(code, level, div[:digits])] += Decimal(value)
    return dict(out)


def values_of(ds: DataSet, period: str, division: Division) -> dict[str, Decimal]:
    """Base-unit values of ``ds`` at ``division`` (a county's own, or the sum below)."""
    sums = entered_values(period, division.prefix)
    level = min(division.level, ENTRY_LEVEL)
    return {
        c: sums[(c, level, division.prefix)] for c in ds.codes if (c, level, division.prefix) in sums
    }  # fmt: skip

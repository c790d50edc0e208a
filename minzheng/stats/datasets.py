"""Aggregate data sets: figures typed in per county, checked, approved bottom-up and locked.

A data set is a catalogue section with entered stock/flow indicators (``institutions`` …;
the ``seed`` section of quoted national figures and entered ratios are not data sets: they
do not add up). Counties enter values per period; every higher level is the sum of its
counties. The county submits, the prefecture approves it (the county's values lock), the
province approves the prefecture, the nation the province. The level above may return a
submission or an approval with a reason while it is not itself approved.

Every write path — web form, API, CSV import, CLI — calls the services here, so the lock,
the jurisdiction, the validation rules (``validation.yaml``) and the audit trail are the
same for all of them. Values are given in report units (万张) and stored in base units (张).
"""

from __future__ import annotations

import csv
import functools
import io
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.roles import Role
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_record
from minzheng.core.errors import BilingualError
from minzheng.divisions.models import Division, Level
from minzheng.stats.catalogue import UNITS, IndicatorDef, catalogue
from minzheng.stats.models import (
    ApprovalAction,
    ApprovalState,
    DataApproval,
    DataApprovalEvent,
    DataValue,
)
from minzheng.stats.periods import PeriodError, parse_period, previous_period

VALIDATION = Path(__file__).resolve().parent / "validation.yaml"
NOT_DATASETS = ("seed",)  # figures quoted from a national report, not a county form
LEVEL_DIGITS = {0: 0, 1: 2, 2: 4, 3: 6}  # like compute.PREFIX, down to the entry level
ENTRY_LEVEL = Level.COUNTY
MAX_BASE = Decimal(10) ** 21
ST = ApprovalState


class DataSetError(BilingualError):
    """A refused data-set operation; ``code``: locked, forbidden, invalid, not_found,
    violations (``violations`` then lists them)."""

    def __init__(
        self, code: str, message: str, message_en: str, violations: list[Violation] | None = None
    ) -> None:
        super().__init__(code, message, message_en)
        self.violations = violations or []


# --- definitions -------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    code: str
    zh: str
    en: str
    indicators: tuple[IndicatorDef, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)


@functools.cache
def datasets() -> dict[str, DataSet]:
    """Data-set code (catalogue section) → its entered, additive indicators, catalogue order."""
    cat = catalogue()
    out: dict[str, DataSet] = {}
    for key, names in cat.sections.items():
        inds = tuple(
            i for i in cat.indicators.values() if i.section == key and i.entered and i.additive
        )
        if inds and key not in NOT_DATASETS:
            out[key] = DataSet(key, names["zh"], names["en"], inds)
    return out


def dataset_get(code: str) -> DataSet:
    """The data set ``code`` or a bilingual not_found error."""
    try:
        return datasets()[code]
    except KeyError:
        raise DataSetError(
            "not_found", f"没有数据集 {code}", f"there is no data set {code}"
        ) from None


def indicator_get(code: str) -> IndicatorDef:
    """An indicator that is entered through a data set (others are computed or quoted)."""
    found = dataset_of(code.strip().upper())
    if found is None:
        raise DataSetError(
            "invalid",
            f"{code} 不是需填报的指标",
            f"{code} is not an indicator entered through a data set",
        )
    return catalogue().indicators[code.strip().upper()]


def dataset_of(code: str) -> DataSet | None:
    return next((ds for ds in datasets().values() if code in ds.codes), None)


def period_label(text: str) -> str:
    """The canonical label of a period (``2024q3`` → ``2024Q3``), bilingual error if bad."""
    try:
        return parse_period(text).label
    except PeriodError:
        raise DataSetError(
            "invalid",
            f"统计期 {text!r} 格式错误，应为 2024Q3、2024-07 或 2024",
            f"period {text!r}: expected 2024Q3, 2024-07 or 2024",
        ) from None


# --- units -------------------------------------------------------------------------------


def base_unit(ind: IndicatorDef) -> str:
    return UNITS[ind.unit][0]


def parse_value(ind: IndicatorDef, text: str | Decimal | float | int | None) -> Decimal | None:
    """A value in report units (text or number) → base units; ``None`` for blank."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = re.sub(r"[,，\s]", "", text) if isinstance(text, str) else str(text)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise DataSetError(
            "invalid", f"{ind.code}：{text} 不是数字", f"{ind.code}: {text} is not a number"
        )
    return to_base(ind, value)


def to_base(ind: IndicatorDef, value: Decimal) -> Decimal:
    """Report units → base units, refusing negatives, fractions of a count, overflow."""
    base = value * ind.scale
    unit = base_unit(ind)
    if value < 0:
        raise DataSetError(
            "invalid",
            f"{ind.code}：数值不能为负数（{value}）",
            f"{ind.code}: the value must not be negative ({value})",
        )
    step = Decimal("0.01") if unit == "元" else Decimal(1)
    if base != base.quantize(step) or base >= MAX_BASE:
        shown = f"{value} {ind.unit}"
        raise DataSetError(
            "invalid",
            f"{ind.code}：{shown} 折合 {fmt(base)} {unit}，应精确到 {step} {unit}",
            f"{ind.code}: {shown} is {fmt(base)} {unit}; give whole multiples of {step} {unit}",
        )
    return base.quantize(step)


def to_report(ind: IndicatorDef, base: Decimal) -> Decimal:
    """Base units → report units (15000 张 → 1.5 万张)."""
    return Decimal(base) / ind.scale


def fmt(value: Decimal | None) -> str:
    """A decimal without exponent or trailing zeros ("1.5", "120")."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


# --- validation rules ----------------------------------------------------------------------

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Rule:
    code: str
    left: tuple[tuple[int, str], ...]  # (sign, indicator)
    op: str
    right: tuple[tuple[int, str], ...]
    zh: str
    en: str
    on: str
    severity: str = "warning"

    @property
    def codes(self) -> set[str]:
        return {c for _s, c in (*self.left, *self.right)}


@dataclass(frozen=True)
class Violation:
    """A rule broken by a form: on which indicator, why (both languages), whether a
    justification may clear it and whether one is given."""

    indicator: str
    rule: str
    zh: str
    en: str
    justifiable: bool = True
    justified: bool = False

    @property
    def blocking(self) -> bool:
        return not (self.justifiable and self.justified)


@functools.cache
def rules() -> tuple[Rule, ...]:
    """The rules of ``validation.yaml``, checked against the catalogue."""
    return load_rules(VALIDATION)


def load_rules(path: Path) -> tuple[Rule, ...]:
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for raw in doc.get("rules") or []:
        left, right = _terms(raw["left"]), _terms(raw["right"])
        op = str(raw["op"])
        codes = {c for _s, c in (*left, *right)}
        unknown = set(raw) - {"code", "left", "op", "right", "zh", "en", "subject", "severity"}
        if op not in OPS or unknown or any(dataset_of(c) is None for c in codes):
            raise ValueError(f"validation rule {raw.get('code')}: bad operator, key or indicator")
        on = str(raw.get("subject") or left[0][1])
        severity = str(raw.get("severity", "warning"))
        out.append(Rule(str(raw["code"]), left, op, right, raw["zh"], raw["en"], on, severity))
    return tuple(out)


def _terms(text: str) -> tuple[tuple[int, str], ...]:
    tokens = re.findall(r"([+-]?)\s*([A-Z]{2}\d{2})", str(text).upper())
    if not tokens:
        raise ValueError(f"validation rule: no indicator in {text!r}")
    return tuple((-1 if sign == "-" else 1, code) for sign, code in tokens)


def check(
    ds: DataSet,
    period: str,
    values: Mapping[str, Decimal],
    justifications: Mapping[str, str],
    previous: Mapping[str, Decimal],
    *,
    complete: bool = False,
) -> list[Violation]:
    """Every violation of ``ds``'s rules by ``values`` (base units); pure.

    ``previous`` holds the values of the period before (flows must not fall within a year);
    ``complete`` also reports indicators with no value (a submission must be whole).
    """
    out: list[Violation] = []
    if complete:
        out += [_missing(i) for i in ds.indicators if i.code not in values]
    for rule in rules():
        if rule.on in ds.codes and rule.codes <= set(values):
            out += _rule_violation(rule, values, justifications)
    prev_label = previous_period(period)
    same_year = prev_label is not None and prev_label[:4] == period[:4] and len(period) > 4
    for ind in ds.indicators:
        known = ind.code in values and ind.code in previous
        if same_year and ind.kind == "flow" and known and values[ind.code] < previous[ind.code]:
            out.append(_flow_violation(ind, period, prev_label or "", values, previous))
    return [_justified(v, justifications) for v in out]


def _missing(ind: IndicatorDef) -> Violation:
    return Violation(
        ind.code, "missing", f"{ind.code} {ind.zh}：未填报", f"{ind.code} {ind.en}: no value",
        justifiable=False,
    )  # fmt: skip


def _rule_violation(
    rule: Rule, values: Mapping[str, Decimal], justifications: Mapping[str, str]
) -> list[Violation]:
    left = sum((s * values[c] for s, c in rule.left), Decimal(0))
    right = sum((s * values[c] for s, c in rule.right), Decimal(0))
    if OPS[rule.op](left, right):
        return []
    unit = base_unit(catalogue().indicators[rule.on])
    lt, rt = _expr(rule.left), _expr(rule.right)
    zh = f"{rule.code} {rule.zh}：{lt} = {fmt(left)} {unit}，{rt} = {fmt(right)} {unit}"
    en = f"{rule.code} {rule.en}: {lt} = {fmt(left)} {unit}, {rt} = {fmt(right)} {unit}"
    return [Violation(rule.on, rule.code, zh, en, justifiable=rule.severity != "error")]


def _expr(terms: Iterable[tuple[int, str]]) -> str:
    text = " ".join(f"{'-' if s < 0 else '+'} {c}" for s, c in terms)
    return text[2:] if text.startswith("+ ") else text


def _flow_violation(
    ind: IndicatorDef, period: str, prev: str, values: Mapping[str, Decimal],
    previous: Mapping[str, Decimal],
) -> Violation:  # fmt: skip
    now, before = fmt(to_report(ind, values[ind.code])), fmt(to_report(ind, previous[ind.code]))
    return Violation(
        ind.code,
        "flow",
        f"{ind.code} {ind.zh} 为年初至今累计数，{period} 的 {now}{ind.unit} 小于 {prev} 的 "
        f"{before}{ind.unit}；如属实请填写核实说明",
        f"{ind.code} {ind.en} is a year-to-date total: {now} {ind.unit} in {period} is less "
        f"than {before} {ind.unit} in {prev}; give a justification if it is right",
    )


def _justified(v: Violation, justifications: Mapping[str, str]) -> Violation:
    given = bool((justifications.get(v.indicator) or "").strip())
    return Violation(v.indicator, v.rule, v.zh, v.en, v.justifiable, given)


def validate(
    *, dataset: str, period: str, division: Division, complete: bool = False
) -> list[Violation]:
    """The violations of the stored values of one county's data set for ``period``."""
    ds = dataset_get(dataset)
    label = period_label(period)
    rows = stored_values(ds, label, division)
    prev = previous_period(label)
    before = {c: r.value for c, r in stored_values(ds, prev, division).items()} if prev else {}
    values = {c: r.value for c, r in rows.items()}
    justs = {c: r.justification for c, r in rows.items()}
    return check(ds, label, values, justs, before, complete=complete)


def stored_values(ds: DataSet, period: str, division: Division) -> dict[str, DataValue]:
    qs = DataValue.objects.filter(indicator__in=ds.codes, period=period, division=division)
    return {r.indicator: r for r in qs}


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


# --- CSV import / export ------------------------------------------------------------------

COLUMNS = ("division", "period", "indicator", "value")
OPTIONAL = ("comment", "justification")
ALIASES = {
    "区划代码": "division", "区划": "division", "统计期": "period", "指标代码": "indicator",
    "指标": "indicator", "数值": "value", "备注": "comment", "核实说明": "justification",
}  # fmt: skip


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel and WPS save CSV in China."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


@dataclass
class _Row:
    num: int
    division: Division
    period: str
    code: str
    entry: Entry


def values_import_csv(*, actor: User, data: bytes, source: str = "import") -> dict[str, Any]:
    """Import ``division,period,indicator,value`` rows (value in report units, e.g. 万张;
    optional comment, justification). Bad rows are reported with row, column and reason in
    both languages; the good ones land in one transaction; re-importing changes nothing."""
    reader = csv.reader(io.StringIO(_decode(data)))
    header = [ALIASES.get(h.strip(), h.strip().lower()) for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataSetError(
            "invalid",
            f"缺少列：{'、'.join(missing)}（表头应为 division,period,indicator,value）",
            f"missing column(s): {', '.join(missing)} (header: division,period,indicator,value)",
        )
    report: dict[str, Any] = {"rows": 0, "created": 0, "updated": 0, "deleted": 0,
                              "unchanged": 0, "skipped": 0, "errors": []}  # fmt: skip
    good = _read_rows(actor, reader, header, report)
    with transaction.atomic():
        for (division, period), rows in good.items():
            _import_group(actor, division, period, rows, report, source)
        audit_record(actor=actor, source=source, events=[Audit(
            "import", "datavalue", rows=report["rows"], summary=f"导入填报数据 {report['rows']} 行")])  # fmt: skip
    report["errors"].sort(key=lambda e: (e["row"], e["column"]))
    report["rejected"] = len({e["row"] for e in report["errors"]})
    return report


def _read_rows(
    actor: User, reader: Iterable[list[str]], header: list[str], report: dict[str, Any]
) -> dict[tuple[Division, str], list[_Row]]:
    good: dict[tuple[Division, str], list[_Row]] = defaultdict(list)
    seen: dict[tuple[str, str, str], int] = {}
    divisions: dict[str, Division | None] = {}
    for num, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        report["rows"] += 1
        cell = dict(zip(header, (c.strip() for c in cells), strict=False))
        row = _parse_row(num, cell, divisions, report)
        if row is None:
            continue
        if row.entry.value is None:
            report["skipped"] += 1
            continue
        key = (row.division.code, row.period, row.code)
        if key in seen:
            _error(report, num, "indicator", f"与第 {seen[key]} 行重复",
                   f"duplicates row {seen[key]}")  # fmt: skip
            continue
        seen[key] = num
        good[(row.division, row.period)].append(row)
    return good


def _parse_row(
    num: int, cell: dict[str, str], divisions: dict[str, Division | None], report: dict[str, Any]
) -> _Row | None:
    code = cell.get("division", "")
    if code not in divisions:
        divisions[code] = _county(code)
    division = divisions[code]
    if division is None:
        _error(report, num, "division", f"{code or '空'} 不是现行县级区划代码（6 位或 12 位）",
               f"{code or 'blank'} is not the code of a current county (6 or 12 digits)")  # fmt: skip
        return None
    try:
        period = period_label(cell.get("period", ""))
    except DataSetError as err:
        _error(report, num, "period", err.message, err.message_en)
        return None
    try:
        ind = indicator_get(cell.get("indicator", ""))
    except DataSetError as err:
        _error(report, num, "indicator", err.message, err.message_en)
        return None
    try:
        value = parse_value(ind, cell.get("value", ""))
    except DataSetError as err:
        _error(report, num, "value", err.message, err.message_en)
        return None
    entry = Entry(value, cell.get("comment"), cell.get("justification"))
    return _Row(num, division, period, ind.code, entry)


def _county(code: str) -> Division | None:
    if not re.fullmatch(r"\d{6}(\d{6})?", code):
        return None
    return Division.objects.current().filter(code=code.ljust(12, "0"), level=ENTRY_LEVEL).first()


def _import_group(
    actor: User, division: Division, period: str, rows: list[_Row], report: dict[str, Any],
    source: str,
) -> None:  # fmt: skip
    try:
        with transaction.atomic():
            saved = values_save(actor=actor, division=division, period=period, source=source,
                                entries={r.code: r.entry for r in rows})  # fmt: skip
    except DataSetError as err:
        column = {"locked": "period", "forbidden": "division"}.get(err.code, "value")
        for r in rows:
            _error(report, r.num, column, err.message, err.message_en)
        return
    for key in ("created", "updated", "deleted", "unchanged"):
        report[key] += getattr(saved, key)


def _error(report: dict[str, Any], row: int, column: str, reason: str, reason_en: str) -> None:
    report["errors"].append(
        {"row": row, "column": column, "reason": reason, "reason_en": reason_en}
    )


def values_csv(*, period: str, prefix: str = "", dataset: str = "") -> str:
    """The counties' values of ``period`` under ``prefix`` as CSV, values in report units
    (the import's format: exporting and importing again changes nothing)."""
    label = period_label(period)
    qs = DataValue.objects.filter(period=label, division_code__startswith=prefix)
    if dataset:
        qs = qs.filter(indicator__in=dataset_get(dataset).codes)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*COLUMNS, *OPTIONAL])
    inds = catalogue().indicators
    for r in qs.order_by("division_code", "indicator"):
        value = fmt(to_report(inds[r.indicator], r.value))
        w.writerow([r.division_code[:6], label, r.indicator, value, r.comment, r.justification])
    return out.getvalue()


def template_csv(*, dataset: str, period: str, division: Division) -> str:
    """A CSV to fill in: one row per indicator of ``dataset``, its unit and name as help
    (extra columns the import ignores); rows left without a value are skipped."""
    ds, label = dataset_get(dataset), period_label(period)
    stored = stored_values(ds, label, division)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*COLUMNS, *OPTIONAL, "unit", "name"])
    for ind in ds.indicators:
        row = stored.get(ind.code)
        value = fmt(to_report(ind, row.value)) if row else ""
        w.writerow([division.code[:6], label, ind.code, value, row.comment if row else "",
                    row.justification if row else "", ind.unit, ind.zh])  # fmt: skip
    return out.getvalue()

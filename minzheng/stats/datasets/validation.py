"""Validation rules of entered values (``stats/validation.yaml``) and the built-in ones."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from minzheng.divisions.models import Division
from minzheng.stats.catalogue import IndicatorDef, catalogue
from minzheng.stats.datasets.base import (
    VALIDATION,
    DataSet,
    Violation,
    base_unit,
    dataset_get,
    dataset_of,
    fmt,
    period_label,
    to_report,
)
from minzheng.stats.models import (
    DataValue,
)
from minzheng.stats.periods import previous_period

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

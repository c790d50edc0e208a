"""Data sets: definitions (a catalogue section's entered indicators), units, errors."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from minzheng.core.errors import BilingualError
from minzheng.divisions.models import Level
from minzheng.stats.catalogue import UNITS, IndicatorDef, catalogue
from minzheng.stats.models import (
    ApprovalState,
)
from minzheng.stats.periods import PeriodError, parse_period

VALIDATION = Path(__file__).resolve().parent.parent / "validation.yaml"
NOT_DATASETS = ("seed",)  # figures quoted from a national report, not a county form
LEVEL_DIGITS = {0: 0, 1: 2, 2: 4, 3: 6}  # like compute.PREFIX, down to the entry level
ENTRY_LEVEL = Level.COUNTY
MAX_BASE = Decimal(10) ** 21
ST = ApprovalState


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

"""Every assistance parameter: its name in the rules, titles, unit and national default.

Values are whole numbers so rules stay exact on every backend: money in fen, shares in
percent (or per mille where a tenth of a percent matters), counts, months, days, flags.
The national defaults below are where DOMAIN.md gives a national rule or a sensible
default; a province, city or county overrides them with dated rows. Standards marked
"synthetic" are national averages or invented values for demos — each region enters its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from minzheng.core.errors import BilingualError

if TYPE_CHECKING:
    import pyarrow as pa

PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)

# unit code → (Chinese, English) label for screens and spreadsheets
UNITS = {
    "fen": ("元/人·月", "yuan per person per month"),
    "fen_year": ("元/人·年", "yuan per person per year"),
    "fen_once": ("元", "yuan"),
    "pct": ("%", "%"),
    "permille": ("‰", "per mille"),
    "months": ("个月", "months"),
    "workdays": ("个工作日", "working days"),
    "days": ("天", "days"),
    "count": ("个", "count"),
    "flag": ("是/否", "yes/no"),
    "choice": ("选项", "choice"),
}
MONEY_UNITS = frozenset({"fen", "fen_year", "fen_once"})


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    title_en: str
    unit: str
    default: int
    group: str
    mark: str = "L"  # DOMAIN.md mark: N national rule, L local, ? unconfirmed
    choices: tuple[tuple[int, str], ...] = ()
    synthetic: bool = False  # the default is a demo value, not a rule

    @property
    def money(self) -> bool:
        return self.unit in MONEY_UNITS


GROUPS = {
    "dibao": ("最低生活保障", "Minimum living allowance"),
    "income": ("收入认定", "Income counting"),
    "assets": ("财产认定", "Assets"),
    "benefit": ("保障金计算", "Benefit calculation"),
    "marginal": ("低保边缘与刚性支出", "Marginal and rigid expenditure"),
    "tekun": ("特困供养", "Support for the extremely poor"),
    "temporary": ("临时救助", "Temporary assistance"),
    "workflow": ("办理时限与复核", "Deadlines and reviews"),
    "price": ("价格临时补贴", "Price-linkage subsidy"),
    "monitoring": ("动态监测预警", "Monitoring warnings"),
}

_INCOME_KINDS = {
    # code in the registry → (title, counted by default)
    "wage": ("工资性收入", True),
    "business": ("经营净收入", True),
    "property": ("财产净收入", True),
    "transfer": ("转移净收入", True),
    "declared": ("申报月收入", True),
    "care": ("优抚金", False),
    "reward": ("奖励与计生奖扶", False),
    "study": ("奖助学金", False),
    "assistance": ("社会救助金", False),
}

SPECS: dict[str, Spec] = {
    s.name: s
    for s in [
        Spec("dibao_urban_fen", "城市低保标准", "Urban dibao standard", "fen", 70660, "dibao",
             synthetic=True),
        Spec("dibao_rural_fen", "农村低保标准（按月）", "Rural dibao standard (monthly)", "fen",
             52490, "dibao", synthetic=True),
        *[
            Spec(f"count_{kind}", f"计入{title}", f"Count {kind} income", "flag", int(counted),
                 "income")
            for kind, (title, counted) in _INCOME_KINDS.items()
        ],
        Spec("deduct_work_fen", "就业成本扣减（每名就业成员）", "Work-cost deduction per earner",
             "fen", 0, "income"),
        Spec("deduct_disability_fen", "重度残疾、重病成员收入扣减", "Deduction per severely "
             "disabled or seriously ill member", "fen", 0, "income"),
        Spec("financial_assets_months", "人均金融资产上限（月低保标准的倍数）",
             "Financial assets per person, in months of the standard", "months", 24, "assets"),
        Spec("homes_max", "住房套数上限", "Most homes", "count", 1, "assets"),
        Spec("vehicles_max", "车辆数上限", "Most vehicles", "count", 0, "assets"),
        Spec("business_allowed", "允许有工商登记", "A business registration is allowed", "flag",
             0, "assets"),
        Spec("benefit_method", "保障金计算方法", "Benefit method", "choice", 1, "benefit", "N",
             choices=((1, "补差 gap"), (2, "分档 tiered"))),
        Spec("floor_pct", "保底比例（占标准）", "Floor, share of the standard", "pct", 0,
             "benefit"),
        Spec("rounding_fen", "取整单位（1=分，10=角，100=元）", "Rounding unit (fen)", "choice", 1,
             "benefit", choices=((1, "分 fen"), (10, "角 jiao"), (100, "元 yuan"))),
        *[
            Spec(f"tier{i}_upto_pct", f"第{i}档：人均收入不超过标准的", f"Tier {i}: income up to "
                 "share of the standard", "pct", upto, "benefit")
            for i, upto in ((1, 25), (2, 50), (3, 75), (4, 100))
        ],
        *[
            Spec(f"tier{i}_pay_pct", f"第{i}档：按标准的比例发放", f"Tier {i}: pays share of the "
                 "standard", "pct", pay, "benefit")
            for i, pay in ((1, 100), (2, 75), (3, 50), (4, 25))
        ],
        Spec("single_person_inclusion", "低保边缘家庭重残重病成员单人保", "Single-person "
             "inclusion for marginal families", "flag", 1, "benefit", "?"),
        Spec("marginal_pct", "低保边缘收入上限（标准的倍数，%）", "Marginal line, % of the "
             "standard", "pct", 150, "marginal", "N"),
        Spec("rigid_ratio_pct", "刚性支出占家庭收入比例", "Rigid expenditure, share of income",
             "pct", 50, "marginal"),
        Spec("disposable_urban_fen", "上年城镇居民人均可支配收入", "Last year's urban per-capita "
             "disposable income", "fen_year", 5182100, "marginal", synthetic=True),
        Spec("disposable_rural_fen", "上年农村居民人均可支配收入", "Last year's rural per-capita "
             "disposable income", "fen_year", 2169100, "marginal", synthetic=True),
        Spec("tekun_basic_pct", "特困基本生活标准（低保标准的%）", "Tekun basic standard, % of "
             "dibao", "pct", 130, "tekun"),
        *[
            Spec(f"care_{tier}_{mode}_fen", f"照料护理标准：{tt}（{mt}）", f"Care standard: "
                 f"{tier} ({mode})", "fen", amount, "tekun", synthetic=True)
            for tier, tt, central, dispersed in (
                ("self", "生活自理", 10000, 5000),
                ("partial", "部分失能", 40000, 30000),
                ("full", "完全失能", 100000, 80000),
            )
            for mode, mt, amount in (("central", "集中供养", central),
                                     ("dispersed", "分散供养", dispersed))
        ],
        Spec("temp_emergency_months", "急难型先行救助上限（月标准的倍数）", "Emergency first "
             "payment, months of the standard", "months", 1, "temporary", "?"),
        Spec("temp_cap_months", "临时救助上限（月标准的倍数）", "Temporary assistance cap, "
             "months of the standard", "months", 10, "temporary"),
        Spec("temp_emergency_days", "急难型先行救助时限", "Emergency payment deadline",
             "workdays", 3, "temporary", "?"),
        Spec("deadline_days", "审批时限", "Decision deadline", "workdays", 30, "workflow", "?"),
        Spec("deadline_extended_days", "延长后审批时限", "Extended deadline", "workdays", 45,
             "workflow", "?"),
        Spec("refusal_notice_days", "不予批准告知时限", "Refusal notice deadline", "workdays", 3,
             "workflow", "N"),
        Spec("publicity_days", "公示天数", "Publicity period", "days", 7, "workflow", "N"),
        Spec("review_months_stable", "稳定家庭复核周期", "Review interval, stable households",
             "months", 12, "workflow", "?"),
        Spec("review_months_working", "有劳动能力家庭复核周期", "Review interval, households "
             "with working-age members", "months", 6, "workflow", "?"),
        Spec("gradual_exit_months", "渐退期", "Gradual exit period", "months", 6, "workflow"),
        Spec("cpi_threshold_permille", "CPI 同比涨幅启动条件", "CPI year-on-year trigger",
             "permille", 35, "price", "N"),
        Spec("food_cpi_threshold_permille", "食品 CPI 同比涨幅启动条件", "Food CPI trigger",
             "permille", 60, "price", "N"),
        Spec("price_min_fen", "价格临时补贴最低金额", "Price subsidy minimum", "fen", 0, "price"),
        # DOMAIN §3: no national thresholds are published; each region sets its own.
        Spec("medical_floor_fen", "大额医疗支出预警金额（近12个月自付）", "Large medical cost "
             "warning floor (12-month out-of-pocket)", "fen_once", 2_000_000, "monitoring", "L",
             synthetic=True),
        Spec("medical_share_pct", "医疗自付占家庭年收入比例", "Medical cost share of annual "
             "household income", "pct", 50, "monitoring", "L", synthetic=True),
    ]
}  # fmt: skip

INCOME_KINDS = tuple(_INCOME_KINDS)
DEFAULTS_FROM = "2020-01-01"  # national defaults apply from this date


class ParameterError(BilingualError):
    pass


def spec(name: str) -> Spec:
    """The spec of ``name``; a clear error for an unknown name."""
    try:
        return SPECS[name]
    except KeyError:
        raise ParameterError(
            "unknown_parameter", f"未知参数：{name}", f"unknown parameter: {name}"
        ) from None


# --- units -------------------------------------------------------------------------------
def to_display(s: Spec, value: int) -> str:
    """A stored value as people read it: yuan with two decimals for money."""
    if s.money:
        return f"{Decimal(value) / 100:.2f}"
    return str(value)


def from_display(s: Spec, text: Any) -> int:
    """What a person typed (yuan for money) as the stored whole number; raises on junk."""
    raw = str(text).strip().replace(",", "").replace("，", "")
    if s.unit == "flag" and raw in ("是", "否", "yes", "no", "true", "false", "True", "False"):
        return int(raw in ("是", "yes", "true", "True"))
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ParameterError(
            "bad_value", f"取值 {raw!r} 不是数字", f"value {raw!r} is not a number"
        ) from None
    if not number.is_finite():  # Infinity, NaN: Decimal reads them, int() cannot
        raise ParameterError(
            "bad_value",
            f"取值 {raw!r} 不是有限的数字",
            f"value {raw!r} is not a finite number",
        )
    scale = 100 if s.money else 1
    check_range(s, number, scale=scale)  # before scaling: 1e999999999 * 100 overflows
    scaled = number * scale
    if scaled != scaled.to_integral_value():
        unit = "分" if s.money else "整数"
        raise ParameterError(
            "bad_value",
            f"取值 {raw} 须精确到{unit}",
            f"value {raw} must be exact to the {'fen' if s.money else 'whole number'}",
        )
    value = int(scaled.to_integral_value(ROUND_HALF_UP))
    check_value(s, value)
    return value


# Stored values are 64-bit integers on every backend; these bounds keep far below that
# (and below any sensible amount) so a typo is a row error, not an overflow in the database.
MAX_MONEY_FEN = 10**12  # 100 亿元
MAX_OTHER = 10**9


def max_value(s: Spec) -> int:
    """The largest value ``s`` may store (fen for money)."""
    return MAX_MONEY_FEN if s.money else MAX_OTHER


def check_range(s: Spec, value: int | Decimal, *, scale: int = 1) -> None:
    """0 ≤ ``value × scale`` ≤ :func:`max_value`, checked without computing the product (a
    finite Decimal such as 1e999999999 overflows when scaled, and is huge as an int)."""
    if value < 0:
        raise ParameterError("bad_value", f"{s.title}不能为负数", f"{s.name} cannot be negative")
    top = max_value(s)
    if value > Decimal(top) / scale:
        shown = to_display(s, top)
        raise ParameterError(
            "bad_value",
            f"{s.title}不能超过 {shown} {UNITS[s.unit][0]}",
            f"{s.name} cannot be more than {shown} {UNITS[s.unit][1]}",
        )


def check_value(s: Spec, value: int) -> None:
    """A stored value ``s`` may take: 0 ≤ value ≤ :func:`max_value`, a flag or a choice."""
    check_range(s, value)
    if s.unit == "flag" and value not in (0, 1):
        raise ParameterError("bad_value", f"{s.title}只能是 0 或 1", f"{s.name} must be 0 or 1")
    if s.choices and value not in dict(s.choices):
        allowed = "、".join(f"{k}（{v}）" for k, v in s.choices)
        raise ParameterError(
            "bad_value", f"{s.title}只能取 {allowed}", f"{s.name} must be one of {allowed}"
        )


def check_prefix(prefix: str) -> str:
    p = (prefix or "").strip()
    if p in ("全国", "0", "00"):
        p = ""
    if (p and not (p.isascii() and p.isdigit())) or len(p) not in PREFIX_LENGTHS:
        raise ParameterError(
            "bad_division",
            f"区划 {prefix!r} 须为 2、4、6、9 或 12 位代码（留空表示全国）",
            f"division {prefix!r} must be a code of 2, 4, 6, 9 or 12 digits (empty = nation)",
        )
    return p


def default_rows() -> list[dict[str, Any]]:
    """The catalogue's national defaults as parameter rows (no database needed)."""
    start = dt.date.fromisoformat(DEFAULTS_FROM)
    return [
        {"name": s.name, "division": "", "value": s.default, "valid_from": start, "valid_to": None}
        for s in SPECS.values()
    ]


def engine_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Parameter rows → the engine's checked ``parameter`` table."""
    from minzheng.engine.params import parameter_table

    return parameter_table(rows)

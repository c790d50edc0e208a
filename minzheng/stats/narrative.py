"""Narrative report: the same figures stated in Chinese and English prose, pure (no Django).

Values come in as ``int`` or ``Decimal`` in the unit's *base*: persons, households,
person-times, items, beds, couples, hours, and **yuan** (not fen) — also for 万人, 万户,
万人次, 万元 and 亿元 indicators, whose catalogue unit only names the table column.
Percentages are percent numbers (46 means 46%). Floats are refused: rounding is
``Decimal`` ROUND_HALF_UP (ties away from zero).

Rounding is fixed-step per magnitude band, chosen after rounding (9,999.5 → 1万), and the
English is written from the very same rounded number, so both languages always agree:

=====================  ==========  =================  ===========================
figure (base units)    step        Chinese            English
=====================  ==========  =================  ===========================
count < 10,000         1           9999人              9,999 people
count < 1亿            1,000       4223.8万人          42.238 million people
count ≥ 1亿            1,000,000   7.7亿人次           770 million person-times
yuan < 10,000          0.01        5654.5元            5,654.5 yuan
yuan < 1亿             1,000       56.5万元            565,000 yuan
yuan ≥ 1亿             1,000,000   87.5亿元            8.75 billion yuan
per-capita standard    0.1         711.4元/人·月       711.4 yuan per person per month
percentage             0.1         46%                46%
=====================  ==========  =================  ===========================

Trailing zeros are dropped (34万个, 57 million). Chinese digits are never grouped, English
ones are (9,999). ``exact=True`` states a count or sum unrounded and without magnitude,
as the seed does for 20058人 (寻亲成功) next to 5.6万人次.

Comparisons are computed from the unrounded values and rounded to 0.1: a relative change
for counts and sums, percentage points for percentages. A change that rounds to 0.0
(|Δ| < 0.05) is 持平 / unchanged. With no previous value, or a previous value ≤ 0 (no
percentage of nothing), the comparison is left out — except 0 → 0, which is 持平.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Number = int | Decimal
Kind = Literal["stock", "flow", "ratio"]
Basis = Literal["previous", "year_ago"]
Scale = Literal["count", "money", "per_capita", "percent"]

TEN_THOUSAND, HUNDRED_MILLION = Decimal(10**4), Decimal(10**8)
MILLION, BILLION = Decimal(10**6), Decimal(10**9)


@dataclass(frozen=True)
class Unit:
    zh: str  # the base unit as written after the number
    en_one: str  # "" for classifiers (个, 张) whose noun is the indicator's name
    en_many: str
    scale: Scale


_PERSON = Unit("人", "person", "people", "count")
_HOUSEHOLD = Unit("户", "household", "households", "count")
_PERSON_TIME = Unit("人次", "person-time", "person-times", "count")
_YUAN = Unit("元", "yuan", "yuan", "money")
_BED = Unit("张", "", "", "count")
_COUPLE = Unit("对", "couple", "couples", "count")
_BODY = Unit("具", "body", "bodies", "count")

UNITS: dict[str, Unit] = {
    "人": _PERSON,
    "万人": _PERSON,
    "户": _HOUSEHOLD,
    "万户": _HOUSEHOLD,
    "人次": _PERSON_TIME,
    "万人次": _PERSON_TIME,
    "个": Unit("个", "", "", "count"),
    "张": _BED,
    "万张": _BED,
    "对": _COUPLE,
    "万对": _COUPLE,
    "具": _BODY,
    "万具": _BODY,
    "件": Unit("件", "case", "cases", "count"),
    "小时": Unit("小时", "hour", "hours", "count"),
    "元": _YUAN,
    "万元": _YUAN,
    "亿元": _YUAN,
    "元/人·月": Unit("元/人·月", "yuan per person per month", "", "per_capita"),
    "元/人·年": Unit("元/人·年", "yuan per person per year", "", "per_capita"),
    "%": Unit("%", "%", "%", "percent"),
}

# (upper limit of the band or None, rounding step, Chinese magnitude)
_Band = tuple[Decimal | None, Decimal, Decimal]
_BANDS: dict[Scale, tuple[_Band, ...]] = {
    "count": (
        (TEN_THOUSAND, Decimal(1), Decimal(1)),
        (HUNDRED_MILLION, Decimal(1000), TEN_THOUSAND),
        (None, MILLION, HUNDRED_MILLION),
    ),
    "money": (
        (TEN_THOUSAND, Decimal("0.01"), Decimal(1)),
        (HUNDRED_MILLION, Decimal(1000), TEN_THOUSAND),
        (None, MILLION, HUNDRED_MILLION),
    ),
    "per_capita": ((None, Decimal("0.1"), Decimal(1)),),
    "percent": ((None, Decimal("0.1"), Decimal(1)),),
}
_EXACT_STEP: dict[Scale, Decimal] = {"count": Decimal(1), "money": Decimal("0.01")}
_ZH_MAGNITUDE = {Decimal(1): "", TEN_THOUSAND: "万", HUNDRED_MILLION: "亿"}


def unit(code: str) -> Unit:
    """The unit for a catalogue unit code (万人 and 人 share one); ValueError if unknown."""
    try:
        return UNITS[code]
    except KeyError:
        raise ValueError(f"unknown unit {code!r}; expected one of {', '.join(UNITS)}") from None


def as_decimal(value: Number) -> Decimal:
    """``value`` as a Decimal; floats (and bools) are refused, never silently converted."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"figures are int or Decimal, not {type(value).__name__}")
    return Decimal(value)


def round_half_up(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded to a multiple of ``step``, ties away from zero."""
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def rounded(value: Number, unit_code: str, *, exact: bool = False) -> tuple[Decimal, Decimal]:
    """(rounded value in base units, Chinese magnitude 1 / 1万 / 1亿) by the band rules."""
    scale = unit(unit_code).scale
    v = abs(as_decimal(value))
    if exact and scale in _EXACT_STEP:
        return round_half_up(v, _EXACT_STEP[scale]), Decimal(1)
    for limit, step, magnitude in _BANDS[scale]:
        r = round_half_up(v, step)
        if limit is None or r < limit:
            return r, magnitude
    raise AssertionError("the last band has no limit")  # pragma: no cover


def _plain(d: Decimal, *, grouped: bool = False) -> str:
    """Fixed-point digits without trailing zeros (never an exponent)."""
    return format(d.normalize(), ",f" if grouped else "f")


def _sign(value: Number, r: Decimal) -> str:
    """A minus only for a negative figure that does not round to zero."""
    return "-" if as_decimal(value) < 0 and r else ""


def format_zh(value: Number, unit_code: str, *, exact: bool = False) -> str:
    """The figure as Chinese prose writes it: 4223.8万人, 87.5亿元, 711元/人·月, 46%."""
    r, magnitude = rounded(value, unit_code, exact=exact)
    zh_unit = unit(unit_code).zh
    return f"{_sign(value, r)}{_plain(r / magnitude)}{_ZH_MAGNITUDE[magnitude]}{zh_unit}"


def english_number(r: Decimal, scale: Scale) -> str:
    """A rounded base value in English: 536,000 / 42.238 million / 8.75 billion."""
    if scale in ("per_capita", "percent") or r < MILLION:
        return _plain(r, grouped=True)
    if r < BILLION:
        return f"{_plain(r / MILLION, grouped=True)} million"
    return f"{_plain(r / BILLION, grouped=True)} billion"


def format_en(value: Number, unit_code: str, *, exact: bool = False, with_unit: bool = True) -> str:
    """The figure in English: 42.238 million people, 8.75 billion yuan, 46%."""
    u = unit(unit_code)
    r, _ = rounded(value, unit_code, exact=exact)
    number = _sign(value, r) + english_number(r, u.scale)
    if u.scale == "percent":
        return number + "%"
    word = u.en_one if r == 1 or not u.en_many else u.en_many
    return f"{number} {word}" if with_unit and word else number


# --- periods ---------------------------------------------------------------------------

_ZH_ORDINAL = ("一", "二", "三", "四")
_EN_ORDINAL = ("first", "second", "third", "fourth")
_EN_MONTH = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    """A reporting period: a year, a quarter (2024Q3) or a month (2024-07)."""

    year: int
    quarter: int | None = None
    month: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """2024Q3, 2024-07 or 2024; ValueError otherwise."""
        m = _PERIOD.match(text.strip())
        if not m:
            raise ValueError(f"period {text!r}: expected 2024, 2024Q3 or 2024-07")
        year, quarter, month = m.groups()
        return cls(int(year), int(quarter) if quarter else None, int(month) if month else None)

    @property
    def last_month(self) -> int:
        if self.month:
            return self.month
        return 3 * self.quarter if self.quarter else 12

    def as_of_zh(self) -> str:
        """Period-end wording for stocks and ratios: 截至2024年第三季度末."""
        if self.quarter:
            return f"截至{self.year}年第{_ZH_ORDINAL[self.quarter - 1]}季度末"
        return f"截至{self.year}年{self.month}月底" if self.month else f"截至{self.year}年底"

    def as_of_en(self) -> str:
        """by the end of the third quarter of 2024 / by the end of July 2024."""
        if self.quarter:
            return f"by the end of the {_EN_ORDINAL[self.quarter - 1]} quarter of {self.year}"
        if self.month:
            return f"by the end of {_EN_MONTH[self.month - 1]} {self.year}"
        return f"by the end of {self.year}"

    def to_date_zh(self) -> str:
        """Year-to-date wording for flows: 2024年1—9月累计, 2024年全年累计."""
        last = self.last_month
        if not self.month and not self.quarter:
            return f"{self.year}年全年累计"
        return f"{self.year}年{'1月' if last == 1 else f'1—{last}月'}累计"

    def to_date_en(self) -> str:
        """from January to September 2024 / in January 2024 / in 2024."""
        if not self.month and not self.quarter:
            return f"in {self.year}"
        if self.last_month == 1:
            return f"in January {self.year}"
        return f"from January to {_EN_MONTH[self.last_month - 1]} {self.year}"

    def basis_zh(self, basis: Basis) -> str:
        """What the previous value is: 上季度, 上月, 上年, 上年同期."""
        if not self.quarter and not self.month:
            return "上年"
        if basis == "year_ago":
            return "上年同期"
        return "上季度" if self.quarter else "上月"

    def basis_en(self, basis: Basis) -> str | None:
        """the previous quarter / month / year; None for year on year."""
        if not self.quarter and not self.month:
            return "the previous year"
        if basis == "year_ago":
            return None
        return "the previous quarter" if self.quarter else "the previous month"


# --- comparisons -----------------------------------------------------------------------

Direction = Literal["up", "down", "flat"]


@dataclass(frozen=True)
class Change:
    """A rounded change: relative (%) for counts and sums, percentage points for ratios."""

    direction: Direction
    amount: Decimal  # magnitude, rounded to 0.1
    points: bool

    def zh(self, basis: str) -> str:
        """比上季度增长3.2% / 比上年下降1.5个百分点 / 与上季度持平."""
        if self.direction == "flat":
            return f"与{basis}持平"
        verb = "下降" if self.direction == "down" else "提高" if self.points else "增长"
        return f"比{basis}{verb}{_plain(self.amount)}{'个百分点' if self.points else '%'}"

    def en(self, basis: str | None) -> str:
        """up 3.2% on the previous quarter / down 1.5 percentage points year on year."""
        if self.direction == "flat":
            return f"unchanged from {basis}" if basis else "unchanged year on year"
        point = "point" if self.amount == 1 else "points"
        size = (
            f"{_plain(self.amount)} percentage {point}"
            if self.points
            else f"{_plain(self.amount)}%"
        )
        return f"{self.direction} {size} {f'on {basis}' if basis else 'year on year'}"


def change(current: Number, previous: Number | None, unit_code: str) -> Change | None:
    """The change from ``previous`` to ``current``; None when there is nothing to compare."""
    if previous is None:
        return None
    cur, prev = as_decimal(current), as_decimal(previous)
    points = unit(unit_code).scale == "percent"
    if points:
        delta = cur - prev
    elif prev == 0 and cur == 0:
        delta = Decimal(0)
    elif prev <= 0:
        return None
    else:
        delta = (cur - prev) / prev * 100
    amount = round_half_up(delta, Decimal("0.1"))
    direction: Direction = "flat" if amount == 0 else "up" if amount > 0 else "down"
    return Change(direction, abs(amount), points)


@dataclass(frozen=True)
class Share:
    """The part a figure is of a whole: 占三类重点人群总数的46% / accounting for 46% of …."""

    percent: Decimal
    of_zh: str
    of_en: str

    @classmethod
    def of(cls, part: Number, whole: Number, of_zh: str, of_en: str) -> Share:
        """The share ``part / whole``; ValueError when the whole is not positive."""
        if as_decimal(whole) <= 0:
            raise ValueError("a share of a whole that is not positive")
        return cls(as_decimal(part) / as_decimal(whole) * 100, of_zh, of_en)

    def zh(self) -> str:
        return f"占{self.of_zh}的{format_zh(self.percent, '%')}"

    def en(self) -> str:
        return f"accounting for {format_en(self.percent, '%')} of {self.of_en}"


# --- paragraphs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One indicator's value for the period, with what to compare it to.

    ``basis`` says what ``previous`` is; by default the previous period for stocks and
    ratios, and the same period a year earlier for (year-to-date) flows.
    """

    code: str
    name_zh: str
    name_en: str
    unit: str
    value: Number
    kind: Kind
    previous: Number | None = None
    basis: Basis | None = None
    share: Share | None = None
    exact: bool = False

    def __post_init__(self) -> None:
        scale = unit(self.unit).scale
        if self.kind not in ("stock", "flow", "ratio"):
            raise ValueError(f"{self.code}: kind {self.kind!r} is not stock, flow or ratio")
        if (self.kind == "ratio") != (scale == "percent"):
            raise ValueError(f"{self.code}: ratios, and only ratios, are in %")
        as_decimal(self.value)

    @property
    def comparison_basis(self) -> Basis:
        return self.basis or ("year_ago" if self.kind == "flow" else "previous")


@dataclass(frozen=True)
class Narrative:
    zh: str
    en: str


def _en_figure(fig: Figure) -> str:
    """The English figure, without the unit word when the name already says it (people …)."""
    u = unit(fig.unit)
    words = set(re.findall(r"[a-z-]+", fig.name_en.lower()))
    plain = bool({u.en_one, u.en_many} & words)
    return format_en(fig.value, fig.unit, exact=fig.exact, with_unit=not plain)


def _en_verb(fig: Figure) -> str:
    if fig.kind == "flow":
        return "totalled"
    return "numbered" if unit(fig.unit).scale == "count" else "stood at"


def _tails(fig: Figure, period: Period) -> tuple[list[str], list[str]]:
    """The comparison and share clauses, Chinese and English."""
    zh: list[str] = []
    en: list[str] = []
    delta = change(fig.value, fig.previous, fig.unit)
    if delta:
        zh.append(delta.zh(period.basis_zh(fig.comparison_basis)))
        en.append(delta.en(period.basis_en(fig.comparison_basis)))
    if fig.share:
        zh.append(fig.share.zh())
        en.append(fig.share.en())
    return zh, en


def sentences(
    fig: Figure, period: Period, *, lead: bool, scope_zh: str = "", scope_en: str = ""
) -> tuple[str, str]:
    """One figure as a Chinese and an English sentence; ``lead`` states the period first."""
    stock = fig.kind != "flow"
    zh_time = period.as_of_zh() if stock else period.to_date_zh()
    en_time = period.as_of_en() if stock else period.to_date_en()
    zh_tails, en_tails = _tails(fig, period)
    zh = f"{scope_zh}{fig.name_zh}{format_zh(fig.value, fig.unit, exact=fig.exact)}"
    zh = "，".join([zh_time, zh, *zh_tails] if lead else [zh, *zh_tails]) + "。"
    name = " ".join(filter(None, [fig.name_en, scope_en]))
    en = f"{name} {_en_verb(fig)} {_en_figure(fig)}"
    en = ", ".join([en_time, en, *en_tails] if lead else [en, *en_tails]) + "."
    return zh, en[0].upper() + en[1:]


def narrate(
    figures: Sequence[Figure], period: str | Period, *, scope_zh: str = "", scope_en: str = ""
) -> Narrative:
    """A Chinese and an English paragraph, a sentence per figure, from the same numbers.

    The period phrase opens a sentence only when it differs from the previous sentence's
    (stocks and ratios share 截至…末, flows have …累计), so a run of stocks reads as prose.
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    zh: list[str] = []
    en: list[str] = []
    last_kind: str | None = None
    for fig in figures:
        kind = "flow" if fig.kind == "flow" else "stock"
        z, e = sentences(fig, p, lead=kind != last_kind, scope_zh=scope_zh, scope_en=scope_en)
        zh.append(z)
        en.append(e)
        last_kind = kind
    return Narrative("".join(zh), " ".join(en))

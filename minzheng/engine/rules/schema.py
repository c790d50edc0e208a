"""The parsed form of a rule set: plain dataclasses, each remembering where it was written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from minzheng.engine.errors import Loc

TYPES = ("integer", "money", "boolean", "text", "date")
AGGREGATES = ("count", "sum", "min", "max", "any", "all")
# Names the result table uses for its own columns; no definition may take them.
RESERVED = frozenset(
    {"subject_sk", "division_sk", "flag", "amount_fen", "severity", "as_of", "age"}
)


@dataclass
class Expr:
    """One expression in the rule language (a small, typed subset of SQL)."""

    text: str
    loc: Loc
    ast: Any = None  # sqlglot expression, set by the checker
    type: str = ""  # language type, set by the checker


@dataclass(frozen=True)
class Window:
    """A look-back window: event dates in (as_of − n units, as_of]."""

    n: int
    unit: str  # "months" or "days"

    def start(self, as_of: dt.date) -> dt.date:
        """The exclusive lower bound of the window ending at ``as_of``."""
        if self.unit == "days":
            return as_of - dt.timedelta(days=self.n)
        months = as_of.year * 12 + as_of.month - 1 - self.n
        year, month = divmod(months, 12)
        last = _month_days(year, month + 1)
        return dt.date(year, month + 1, min(as_of.day, last))


def _month_days(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


@dataclass
class Parameter:
    name: str
    type: str
    loc: Loc
    title: str = ""


@dataclass
class Input:
    """An event table fed to the engine (e.g. a department feed): key, date, typed columns."""

    name: str
    key: str  # person_sk, household_sk or id_number
    date: str | None
    columns: dict[str, str]
    loc: Loc
    title: str = ""


@dataclass
class Fact:
    """A named value of a person or household: an expression or an aggregation."""

    name: str
    of: str  # "person" or "household"
    loc: Loc
    expr: Expr | None = None
    agg: str | None = None
    source: str | None = None  # "person", "income", "asset" or an input name
    value: Expr | None = None  # the aggregated expression (None for count)
    where: Expr | None = None
    window: Window | None = None
    type: str = ""
    title: str = ""


@dataclass
class Template:
    """An explanation: literal text with ``{name}`` or ``{name|fen}`` placeholders."""

    text: str
    parts: list[str | tuple[str, str]]
    loc: Loc

    def names(self) -> list[str]:
        return [p[0] for p in self.parts if isinstance(p, tuple)]


@dataclass
class Condition:
    name: str
    when: Expr
    loc: Loc
    explain: Template | None = None
    explain_false: Template | None = None
    title: str = ""


@dataclass
class Outputs:
    flag: Expr
    amount: Expr | None = None
    severity: list[tuple[str, Expr]] = field(default_factory=list)
    explain: Template | None = None  # how the amount was reached, for flagged subjects


@dataclass
class Indicator:
    """An aggregate over the subjects: count or sum, by dimensions, rolled up by division."""

    name: str
    measure: str  # "count" or "sum"
    loc: Loc
    value: Expr | None = None
    where: Expr | None = None
    by: list[str] = field(default_factory=list)
    rollup: bool = True
    title: str = ""


@dataclass
class Example:
    """A given/expect fixture: input rows and the outputs they must produce."""

    name: str
    as_of: dt.date
    given: dict[str, list[dict[str, Any]]]
    expect: list[dict[str, Any]]
    loc: Loc
    expect_indicators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lines: dict[str, Any] = field(default_factory=dict)  # expect row index → Loc


@dataclass
class Ruleset:
    """One versioned file of facts, conditions, outputs and indicators over one subject."""

    name: str
    version: str
    subject: str  # "household" or "person"
    division: str  # "hukou" or "residence": which division parameters and rollups use
    path: str
    sha256: str
    title: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    inputs: dict[str, Input] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    outputs: Outputs | None = None
    indicators: dict[str, Indicator] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    # Free-form settings of the application that runs the rule set (a warning rule's
    # deadline and suggested action …); the engine carries them and checks nothing inside.
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``name@version``: what results record as the rule that produced them."""
        return f"{self.name}@{self.version}"

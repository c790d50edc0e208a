"""The default warning rules: engine rule sets with a ``meta.warning`` block.

Each ``*.yaml`` here (``common.yaml`` is included by the others, not run alone) is a rule
set in the engine's language: its inputs are department feeds (named as the feed kinds,
with the kinds' column names) and ``layer`` (monitored-layer memberships on the day of the
pass); its outputs are the flag, an amount and a severity (red / orange / yellow). The
``meta.warning`` block says what the warning asks of the township: a deadline in working
days, a suggested action (中文 / English) and the feeds that are its evidence. Regions tune
thresholds as parameters, not by editing these files; a new rule is a new file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from minzheng.engine.rules.loader import load_ruleset
from minzheng.engine.rules.schema import Ruleset

RULES_DIR = Path(__file__).resolve().parent
SEVERITIES = ("red", "orange", "yellow")  # 红 / 橙 / 黄, most urgent first
LAYER_INPUT = "layer"


class RuleError(ValueError):
    """A warning rule file that the monitoring pass cannot use (the message names the file)."""


@dataclass(frozen=True)
class WarningRule:
    """A rule set and what its warnings ask of the township."""

    ruleset: Ruleset
    title_en: str
    deadline_days: int
    action: str
    action_en: str
    feeds: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.ruleset.name

    @property
    def key(self) -> str:
        return self.ruleset.key


def _warning_of(rs: Ruleset) -> WarningRule:
    meta = rs.meta.get("warning")
    where = f"{rs.path}: meta.warning"
    if not isinstance(meta, dict):
        raise RuleError(f"{where} is missing / 缺少预警设置")
    days = meta.get("deadline_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise RuleError(f"{where}.deadline_days must be a positive whole number of working days")
    for key in ("action", "action_en", "title_en"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise RuleError(f"{where}.{key} is required")
    feeds = meta.get("feeds") or []
    unknown = [f for f in feeds if f not in rs.inputs]
    if unknown:
        raise RuleError(f"{where}.feeds names {unknown}, which are not inputs of the rule set")
    severities = {name for name, _ in rs.outputs.severity} if rs.outputs else set()
    if not severities or not severities <= set(SEVERITIES):
        raise RuleError(f"{rs.path}: outputs.severity must use {', '.join(SEVERITIES)}")
    return WarningRule(
        ruleset=rs,
        title_en=meta["title_en"],
        deadline_days=days,
        action=meta["action"],
        action_en=meta["action_en"],
        feeds=tuple(feeds),
    )


def load_rule(path: Path | str) -> WarningRule:
    """One warning rule file, checked (raises the engine's DefinitionErrors or RuleError)."""
    return _warning_of(load_ruleset(path))


@cache
def default_rules() -> dict[str, WarningRule]:
    """The shipped rules by name (every ``*.yaml`` here but the shared ``common.yaml``)."""
    rules = [load_rule(p) for p in sorted(RULES_DIR.glob("*.yaml")) if p.name != "common.yaml"]
    return {r.name: r for r in rules}

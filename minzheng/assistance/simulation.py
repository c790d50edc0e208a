"""Policy simulation: run 低保 eligibility over the registry under changed parameters.

``simulate(tables, …, changes={"dibao_standard": "+5%"})`` runs the shipped rule set twice
over the same snapshot — with the parameters in force and with the changed ones — and
compares household by household: newly eligible, no longer eligible, unchanged; monthly
and annual cost; and the cliff (households whose per-capita income lies within 10% of the
new line, where a small change of income or standard moves them in or out). Figures are
per subordinate division of the one simulated, with a 合计 row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from minzheng.assistance.catalogue import SPECS, ParameterError, engine_table, from_display

if TYPE_CHECKING:
    import pyarrow as pa

# Friendly names that stand for several catalogue parameters.
ALIASES = {
    "dibao_standard": ("dibao_urban_fen", "dibao_rural_fen"),
    "disposable_income": ("disposable_urban_fen", "disposable_rural_fen"),
}
CHANGE = re.compile(r"^\s*([+-])?\s*(\d+(?:\.\d+)?)\s*(%)?\s*$")
CLIFF_PCT = 10
CHILD_DIGITS = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}  # prefix length → digits of the level below


@dataclass(frozen=True)
class Change:
    """``+5%`` (scale), ``+50`` / ``-50`` (add, display units) or ``900`` (set)."""

    names: tuple[str, ...]
    op: str  # "scale", "add" or "set"
    amount: Decimal
    text: str

    def apply(self, value: int, name: str) -> int:
        s = SPECS[name]
        if self.op == "scale":
            return int((Decimal(value) * (1 + self.amount / 100)).to_integral_value(ROUND_HALF_UP))
        delta = from_display(s, abs(self.amount)) * (1 if self.amount >= 0 else -1)
        return max(0, value + delta) if self.op == "add" else from_display(s, self.amount)


def parse_change(name: str, text: str) -> Change:
    """``dibao_standard``, ``+5%`` → a :class:`Change` (a clear error for junk)."""
    names = ALIASES.get(name) or ((name,) if name in SPECS else ())
    if not names:
        raise ParameterError("unknown_parameter", f"未知参数：{name}", f"unknown parameter: {name}")
    hit = CHANGE.match(text)
    if not hit:
        raise ParameterError(
            "bad_change",
            f"变动 {text!r} 须写成 +5%、-50 或 900",
            f"change {text!r} must look like +5%, -50 or 900",
        )
    sign, number, pct = hit.groups()
    amount = Decimal(number) * (-1 if sign == "-" else 1)
    op = "scale" if pct else ("add" if sign else "set")
    return Change(names, op, amount, f"{name}={text.strip()}")


def changed_rows(
    rows: Sequence[dict[str, Any]], changes: Sequence[Change], *, division: str, on: dt.date
) -> list[dict[str, Any]]:
    """The parameter rows with ``changes`` applied inside ``division`` from ``on``.

    The value each division inside ``division`` has on ``on`` is changed and written as a
    row at that division's own prefix (so a city whose value is inherited from the
    province gets the changed provincial value, and other provinces keep theirs).
    """
    names = {n for c in changes for n in c.names}
    out = [dict(r) for r in rows]
    for change in changes:
        for name in change.names:
            live = [
                r
                for r in out
                if r["name"] == name
                and r["valid_from"] <= on
                and (r["valid_to"] is None or r["valid_to"] > on)
            ]
            inherited = max(
                (r for r in live if division.startswith(r["division"])),
                key=lambda r: len(r["division"]),
                default=None,
            )
            inside = [r for r in live if r["division"].startswith(division) and r is not inherited]
            targets = ([inherited] if inherited is not None else []) + inside
            for r in targets:
                new = change.apply(int(r["value"]), name)
                if r["division"] == division or r in inside:
                    r["value"] = new
                else:  # inherited from above: override for the simulated division only
                    out.append(
                        {
                            "name": name,
                            "division": division,
                            "value": new,
                            "valid_from": on,
                            "valid_to": None,
                        }
                    )
    # A row added at ``division`` must not overlap one already there.
    return _dedupe(out, names, division)


def _dedupe(rows: list[dict[str, Any]], names: set[str], division: str) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, dt.date], dict[str, Any]] = {}
    for r in rows:
        seen[(r["name"], r["division"], r["valid_from"])] = r
    out = list(seen.values())
    for name in names:
        at = sorted(
            (r for r in out if r["name"] == name and r["division"] == division),
            key=lambda r: r["valid_from"],
        )
        for a, b in itertools.pairwise(at):
            if a["valid_to"] is None or a["valid_to"] > b["valid_from"]:
                a["valid_to"] = b["valid_from"]
    return out


@dataclass
class Simulation:
    division: str
    as_of: dt.date
    changes: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per subordinate division
    total: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    COLUMNS = (
        ("code", "区划代码", "division code"),
        ("name", "区划名称", "division"),
        ("households_before", "现有保障户数", "households eligible now"),
        ("households_after", "调整后保障户数", "households eligible after"),
        ("households_new", "新增户数", "newly eligible households"),
        ("persons_new", "新增人数", "newly eligible persons"),
        ("households_lost", "退出户数", "households no longer eligible"),
        ("persons_lost", "退出人数", "persons no longer eligible"),
        ("households_unchanged", "保障状态不变户数", "households unchanged"),
        ("monthly_before_fen", "现月支出（分）", "monthly cost now (fen)"),
        ("monthly_after_fen", "调整后月支出（分）", "monthly cost after (fen)"),
        ("monthly_change_fen", "月支出变化（分）", "monthly change (fen)"),
        ("annual_change_fen", "年支出变化（分）", "annual change (fen)"),
        ("cliff_households", "临界户数（±10%）", "households within 10% of the line"),
    )

    def table_rows(self) -> list[list[Any]]:
        """Rows for a spreadsheet: every subordinate division, then 合计; money in yuan."""
        out = []
        for r in [*self.rows, self.total]:
            out.append(
                [
                    f"{Decimal(r[k]) / 100:.2f}" if k.endswith("_fen") else r.get(k, "")
                    for k, _, _ in self.COLUMNS
                ]
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "division": self.division,
            "date": self.as_of.isoformat(),
            "changes": self.changes,
            "rows": self.rows,
            "total": self.total,
            "seconds": round(self.seconds, 3),
        }


def simulate(
    tables: Mapping[str, Any],
    *,
    as_of: dt.date,
    rows: Sequence[dict[str, Any]],
    changes: Sequence[Change],
    division: str = "",
    names: Mapping[str, str] | None = None,
) -> Simulation:
    """Compare 低保 eligibility before and after ``changes`` for households in ``division``."""
    import time

    import duckdb

    from minzheng.assistance.batch import eligibility_batch

    start = time.perf_counter()
    after_rows = changed_rows(rows, changes, division=division, on=as_of)
    results = []
    for params in (rows, after_rows):
        results.append(
            eligibility_batch(
                tables,
                as_of=as_of,
                parameter=engine_table(params),
                programmes=["dibao"],
                indicators=False,
            )["dibao"].table
        )
    keep = ["subject_sk", "division_sk", "flag", "amount_fen", "covered", "members",
            "household_income_fen", "standard_fen"]  # fmt: skip
    before, after = (t.select(keep) for t in results)
    digits = CHILD_DIGITS.get(len(division), 12)
    con = duckdb.connect()
    try:
        con.register("b", before)
        con.register("a", after)
        con.register("d", _division(tables))
        sql = f"""
        WITH j AS (
          SELECT substr(d.code, 1, {digits}) AS code,
            coalesce(b.flag, false) AS fb, coalesce(a.flag, false) AS fa,
            b.amount_fen AS mb, a.amount_fen AS ma, a.covered AS ca, b.covered AS cb,
            a.members AS members,
            a.household_income_fen * 100 >= (100 - {CLIFF_PCT}) * a.standard_fen * a.members
              AND a.household_income_fen * 100 < (100 + {CLIFF_PCT}) * a.standard_fen * a.members AS cliff
          FROM b JOIN a USING (subject_sk) JOIN d ON d.division_sk = b.division_sk
          WHERE starts_with(d.code, '{division}')
        )
        SELECT code,
          count(*) FILTER (WHERE fb) AS households_before,
          count(*) FILTER (WHERE fa) AS households_after,
          count(*) FILTER (WHERE fa AND NOT fb) AS households_new,
          coalesce(sum(ca) FILTER (WHERE fa AND NOT fb), 0) AS persons_new,
          count(*) FILTER (WHERE fb AND NOT fa) AS households_lost,
          coalesce(sum(cb) FILTER (WHERE fb AND NOT fa), 0) AS persons_lost,
          count(*) FILTER (WHERE fa = fb) AS households_unchanged,
          coalesce(sum(mb) FILTER (WHERE fb), 0) AS monthly_before_fen,
          coalesce(sum(ma) FILTER (WHERE fa), 0) AS monthly_after_fen,
          count(*) FILTER (WHERE cliff) AS cliff_households
        FROM j GROUP BY ALL ORDER BY code"""
        found = con.sql(sql).fetchall()
        cols = [c[0] for c in con.sql(sql).description]
    finally:
        con.close()
    out = Simulation(division, as_of, [c.text for c in changes])
    total: dict[str, Any] = {"code": division, "name": "合计"}
    for rec in found:
        row: dict[str, Any] = dict(
            zip(cols, (int(v) if isinstance(v, Decimal) else v for v in rec), strict=True)
        )
        code = str(row["code"])
        row["name"] = (names or {}).get(code, code)
        row["monthly_change_fen"] = row["monthly_after_fen"] - row["monthly_before_fen"]
        row["annual_change_fen"] = row["monthly_change_fen"] * 12
        out.rows.append(row)
        for k, v in row.items():
            if k not in ("code", "name"):
                total[k] = total.get(k, 0) + v
    out.total = total
    out.seconds = time.perf_counter() - start
    return out


def _division(tables: Mapping[str, Any]) -> pa.Table:
    import pyarrow.parquet as pq

    d = tables["division"]
    return d if not isinstance(d, str) and hasattr(d, "column") else pq.read_table(d)

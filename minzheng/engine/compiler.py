"""Pure functions: a checked rule set and a date → a :class:`Pipeline` of SQL steps.

The steps are written once, in DuckDB's dialect; :mod:`~minzheng.engine.dialects`
transpiles them for Spark. Only what the conditions, outputs, explanations and
indicators need is compiled. Money stays BIGINT fen end to end (sums are cast back
from DuckDB's HUGEINT), so threshold tests are exact at any scale.

Step layout for a household rule (person rules stop at ``p_facts``)::

    params      division × parameter rows → one value per division (longest prefix wins)
    p_base      person columns (+ age on the date)
    p_src_*     person facts aggregated from income / asset / feed rows
    p_facts     p_base + those facts + parameters + expression facts
    h_base      household columns
    h_person    household facts aggregated over p_facts
    h_src_*     household facts aggregated from asset / feed rows
    h_facts     h_base + those facts + parameters + expression facts
    conditions  one boolean column per condition, values quoted by explanations
    result      flag, amount, severity beside the conditions
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from sqlglot import exp

from minzheng.engine import catalog
from minzheng.engine.pipeline import Pipeline, Step
from minzheng.engine.rules import exprs, semantics
from minzheng.engine.rules.schema import Expr, Fact, Ruleset, Window

LEVEL_PREFIXES = (0, 2, 4, 6, 9, 12)  # code digits of nation … village
EMPTY = {"count": "0", "sum": "0", "any": "FALSE", "all": "TRUE"}


def q(name: str) -> str:
    """Quote a user-given name (facts may be called anything that is not reserved)."""
    return f'"{name}"'


def literal(value: object) -> str:
    """A SQL literal for a value given in Python: NULL, a boolean, an integer or text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def date_sql(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def render(
    ast: exp.Expression, subst: Mapping[str, exp.Expression], table: str | None = None
) -> str:
    """SQL for an expression: names in ``subst`` are inlined, others become (table.)"name"."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.IntDiv):  # x // 0 is NULL on every backend, never an error
            divisor = exp.func("NULLIF", node.expression.transform(swap), exp.Literal.number(0))
            return exp.IntDiv(this=node.this.transform(swap), expression=divisor)
        if isinstance(node, exp.Column):
            if node.name in subst:
                return exp.paren(subst[node.name].copy(), copy=False)
            return exp.column(node.name, table=table, quoted=True)
        return node

    return ast.transform(swap, copy=True).sql(dialect="duckdb")


def compile_ruleset(
    rs: Ruleset, as_of: dt.date, *, keep: Iterable[str] = (), flagged_only: bool = False
) -> Pipeline:
    """The pipeline that evaluates ``rs`` on ``as_of``; ``keep`` adds columns to the result.

    ``flagged_only`` keeps only the subjects whose flag holds (a warning pass wants the few
    flagged out of millions; fetching the rest costs more than computing them)."""
    return _Compiler(rs, as_of, set(keep), flagged_only=flagged_only).build()


def result_columns(rs: Ruleset, keep: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The result table's columns (name, language type) for ``rs`` and ``keep``."""
    return _Compiler(rs, dt.date(2000, 1, 1), set(keep)).result_schema()


def fuse(rs: Ruleset) -> Ruleset:
    """Rewrite "household sum of a person sum over rows" as one household sum over the rows.

    ``household_income = sum(person.income)`` with ``income = sum(income.monthly_fen)``
    equals summing the income rows joined to persons straight into households; it saves
    a person-level join and aggregation (a shuffle on Spark). The person fact survives
    if anything else reads it.
    """
    facts = dict(rs.facts)
    for name, f in rs.facts.items():
        inner = rs.facts.get(f.value.text.strip()) if f.source == "person" and f.value else None
        if (
            f.of == "household"
            and f.agg == "sum"
            and f.where is None
            and inner is not None
            and inner.agg == "sum"
            and inner.source not in (None, "person", "asset")
        ):
            facts[name] = dataclasses.replace(
                f, source=inner.source, value=inner.value, where=inner.where, window=inner.window
            )
    return dataclasses.replace(rs, facts=facts) if facts != rs.facts else rs


class _Compiler:
    def __init__(
        self, rs: Ruleset, as_of: dt.date, keep: set[str], *, flagged_only: bool = False
    ) -> None:
        rs = fuse(rs)
        self.rs, self.as_of, self.keep = rs, as_of, keep
        self.flagged_only = flagged_only
        self.div = f"{rs.division}_division_sk"
        self.p = Pipeline()
        self.as_of_sql = exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))
        self.need = self._needs()

    # --- what is needed ------------------------------------------------------
    def _roots(self) -> set[str]:
        rs, roots = self.rs, set(self.keep)
        for c in rs.conditions.values():
            roots |= exprs.names(c.when.ast) | {
                rs_name for t in (c.explain, c.explain_false) if t for rs_name in t.names()
            }
        if rs.outputs is not None and rs.outputs.explain is not None:
            roots |= set(rs.outputs.explain.names())
        if rs.outputs is not None:
            for e in [rs.outputs.flag, rs.outputs.amount, *(w for _, w in rs.outputs.severity)]:
                roots |= exprs.names(e.ast) if e is not None else set()
        for ind in rs.indicators.values():
            roots |= set(ind.by) | {
                n for e in (ind.value, ind.where) if e is not None for n in exprs.names(e.ast)
            }
        return roots - set(semantics.OUTPUTS) - {"as_of"}

    def _needs(self) -> dict[str, set[str]]:
        need: dict[str, set[str]] = {"person": set(), "household": set()}
        rs = self.rs

        def add(level: str, names: Iterable[str]) -> None:
            for n in names:
                f = rs.facts.get(n)
                lvl = f.of if f else level
                if n in need[lvl] or n == "as_of":
                    continue
                need[lvl].add(n)
                if f is not None and f.expr is not None:
                    add(f.of, exprs.names(f.expr.ast))
                elif f is not None and f.source == "person":
                    add("person", {x for e in (f.value, f.where) if e for x in exprs.names(e.ast)})
                elif n in rs.conditions:
                    add(level, exprs.names(rs.conditions[n].when.ast))

        add(rs.subject, self._roots())
        return need

    def facts(self, level: str) -> list[Fact]:
        return [f for n, f in self.rs.facts.items() if f.of == level and n in self.need[level]]

    def params(self, level: str) -> list[str]:
        return [n for n in self.rs.parameters if n in self.need[level]]

    def values(self) -> list[str]:
        """Names the result carries: explanation values, kept names and parameters."""
        rs, names = self.rs, set(self.keep)
        for c in rs.conditions.values():
            names |= {n for t in (c.explain, c.explain_false) if t for n in t.names()}
        if rs.outputs is not None and rs.outputs.explain is not None:
            names |= set(rs.outputs.explain.names())
        for ind in rs.indicators.values():
            names |= set(ind.by) | {
                n for e in (ind.value, ind.where) if e for n in exprs.names(e.ast)
            }
        names |= set(self.params(rs.subject)) | set(
            self.params("household") if rs.subject == "person" else ()
        )
        names -= set(rs.conditions) | set(semantics.OUTPUTS) | {"as_of"}
        return sorted(names)

    def type_of(self, name: str) -> str:
        scope = semantics.condition_scope(self.rs)
        return scope[name].type

    def result_schema(self) -> list[tuple[str, str]]:
        cols = [("subject_sk", "integer"), ("division_sk", "integer")]
        if self.rs.outputs is not None:
            cols += [("flag", "boolean"), ("amount_fen", "money"), ("severity", "text")]
        cols += [(c, "boolean") for c in self.rs.conditions]
        return cols + [(v, self.type_of(v)) for v in self.values()]

    # --- steps -----------------------------------------------------------------
    def build(self) -> Pipeline:
        rs = self.rs
        self.p.inputs |= {rs.subject}
        if self.params("person") or self.params("household"):
            self._params()
        if (
            rs.subject == "person"
            or self.need["person"]
            or any(self._through_persons(f) for f in self.facts("household"))
        ):
            self._level("person")
        if rs.subject == "household" or self.facts("household"):
            self._level("household")
        source = "p_facts" if rs.subject == "person" else "h_facts"
        if rs.subject == "person" and self.facts("household"):
            source = self._person_with_household()
        self._conditions(source)
        self._result()
        return self.p

    def _through_persons(self, f: Fact) -> bool:
        """Whether a household fact reaches its rows through the person table."""
        if f.expr is not None or f.source == "asset":
            return False
        inp = self.rs.inputs.get(f.source or "")
        return inp is None or inp.key != "household_sk"

    def _params(self) -> None:
        names = sorted(set(self.params("person")) | set(self.params("household")))
        self.p.inputs |= {"division", "parameter"}
        prefixes = "\n  UNION ALL ".join(
            f"SELECT division_sk, SUBSTR(code, 1, {n}) AS prefix FROM division"
            if n
            else "SELECT division_sk, '' AS prefix FROM division"
            for n in LEVEL_PREFIXES
        )
        listed = ", ".join(f"'{n}'" for n in names)
        pivot = ",\n  ".join(f"MAX(CASE WHEN name = '{n}' THEN value END) AS {q(n)}" for n in names)
        day = date_sql(self.as_of)
        sql = f"""SELECT division_sk,
  {pivot}
FROM (
  SELECT d.division_sk, p.name, p.value,
    ROW_NUMBER() OVER (PARTITION BY d.division_sk, p.name ORDER BY LENGTH(p.division_prefix) DESC) AS rn
  FROM ({prefixes}) AS d
  JOIN parameter AS p ON p.division_prefix = d.prefix
  WHERE p.name IN ({listed}) AND p.valid_from <= {day} AND (p.valid_to IS NULL OR p.valid_to > {day})
) AS ranked
WHERE rn = 1
GROUP BY division_sk"""
        self.p.add(Step("params", sql, ("division", "parameter"), materialise=True))

    def _level(self, level: str) -> None:
        short = level[0]
        base = self._base(level)
        joins: list[tuple[str, list[Fact]]] = []
        if level == "household":
            over_persons = [f for f in self.facts(level) if f.source == "person"]
            if over_persons:
                joins.append(
                    (
                        self._aggregate("h_person", "household", "p_facts", over_persons),
                        over_persons,
                    )
                )
        groups: dict[tuple[str, Window | None], list[Fact]] = {}
        for f in self.facts(level):
            if f.expr is None and f.source != "person":
                groups.setdefault((f.source or "", f.window), []).append(f)
        for (source, window), facts in groups.items():
            suffix = f"_{window.n}{window.unit[0]}" if window else ""
            joins.append(
                (
                    self._from_source(
                        f"{short}_src_{source}{suffix}", level, source, window, facts
                    ),
                    facts,
                )
            )
        self._facts(level, base, joins)

    def _base(self, level: str) -> str:
        table = catalog.REGISTRY[level]
        cols = [f"{level}_sk", self.div]
        if level == "person":
            cols.insert(1, "household_sk")
            if any(i.key == "id_number" for i in self.rs.inputs.values()):
                cols.append("id_number")
        cols += sorted(n for n in self.need[level] if n in table.visible())
        select = ", ".join(cols)
        if level == "person" and "age" in self.need["person"]:
            md = self.as_of.month * 100 + self.as_of.day
            select += (
                f",\n  CAST({self.as_of.year} - YEAR(birth_date) - CASE WHEN MONTH(birth_date) * 100 "
                f"+ DAY(birth_date) > {md} THEN 1 ELSE 0 END AS BIGINT) AS age"
            )
        self.p.inputs.add(level)
        return self.p.add(Step(f"{level[0]}_base", f"SELECT {select}\nFROM {level}", (level,)))

    def _aggregate(
        self,
        name: str,
        level: str,
        source: str,
        facts: list[Fact],
        *,
        key: str = "",
        frm: str = "",
        where: str = "",
        through_persons: bool = False,
    ) -> str:
        """One GROUP BY over ``source`` giving ``facts`` per ``level`` key."""
        key = key or f"s.{level}_sk"
        subst = {"as_of": self.as_of_sql}
        cols = [f"{key} AS {level}_sk"]
        for f in facts:
            value = render(f.value.ast, subst, "s") if f.value is not None else "*"
            cond = (
                f" FILTER (WHERE {render(f.where.ast, subst, 's')})" if f.where is not None else ""
            )
            cols.append(f"{_agg(f.agg or '', value, cond)} AS {q(f.name)}")
        deps = (source, "p_base") if through_persons else (source,)
        sql = f"SELECT {', '.join(cols)}\nFROM {frm or source + ' AS s'}"
        sql += f"\nWHERE {where}" if where else ""
        sql += f"\nGROUP BY {key}"
        return self.p.add(Step(name, sql, deps))

    def _from_source(
        self, name: str, level: str, source: str, window: Window | None, facts: list[Fact]
    ) -> str:
        rs = self.rs
        key_col = rs.inputs[source].key if source in rs.inputs else catalog.REGISTRY[source].keys[0]
        if source == "asset":
            key_col = f"{level}_sk"
        self.p.inputs.add(source)
        frm, key = f"{source} AS s", f"s.{level}_sk"
        through = key_col != f"{level}_sk"
        if through:  # reach the level through the person table
            on = (
                "p.id_number = s.id_number"
                if key_col == "id_number"
                else "p.person_sk = s.person_sk"
            )
            frm, key = f"{source} AS s\nJOIN p_base AS p ON {on}", f"p.{level}_sk"
        where = ""
        date = rs.inputs[source].date if source in rs.inputs else None
        if date is not None:
            where = f"s.{q(date)} <= {date_sql(self.as_of)}"
            if window is not None:
                where += f" AND s.{q(date)} > {date_sql(window.start(self.as_of))}"
        return self._aggregate(
            name, level, source, facts, key=key, frm=frm, where=where, through_persons=through
        )

    def _facts(self, level: str, base: str, joins: list[tuple[str, list[Fact]]]) -> None:
        short, sk = level[0], f"{level}_sk"
        cols, frm, deps = ["b.*"], [f"{base} AS b"], [base]
        for i, (step, facts) in enumerate(joins):
            frm.append(f"LEFT JOIN {step} AS a{i} ON a{i}.{sk} = b.{sk}")
            deps.append(step)
            for f in facts:
                empty = EMPTY.get(f.agg or "")
                ref = f"a{i}.{q(f.name)}"
                cols.append(f"{f'COALESCE({ref}, {empty})' if empty else ref} AS {q(f.name)}")
        params = self.params(level)
        if params:
            frm.append(f"LEFT JOIN params AS pr ON pr.division_sk = b.{self.div}")
            deps.append("params")
            cols += [f"pr.{q(n)} AS {q(n)}" for n in params]
        sql = f"SELECT {', '.join(cols)}\nFROM {chr(10).join(frm)}"
        exprs_ = [f for f in self.facts(level) if f.expr is not None]
        if not exprs_:
            self.p.add(Step(f"{short}_facts", sql, tuple(deps)))
            return
        self.p.add(Step(f"{short}_facts0", sql, tuple(deps)))
        subst: dict[str, exp.Expression] = {"as_of": self.as_of_sql}
        order = semantics.order(
            {f.name: semantics.fact_deps(self.rs, f) for f in exprs_},
            {f.name: f.loc for f in exprs_},
            "facts",
        )
        cols = ["*"]
        for name in order:
            f = self.rs.facts[name]
            sql_text = render(f.expr.ast, subst)  # type: ignore[union-attr]
            subst[name] = exprs.parse(sql_text, f.loc)
            cols.append(f"{sql_text} AS {q(name)}")
        self.p.add(
            Step(
                f"{short}_facts",
                f"SELECT {', '.join(cols)}\nFROM {short}_facts0",
                (f"{short}_facts0",),
            )
        )

    def _person_with_household(self) -> str:
        hcols = ", ".join(f"h.{q(f.name)}" for f in self.facts("household"))
        sql = f"SELECT f.*, {hcols}\nFROM p_facts AS f\nLEFT JOIN h_facts AS h ON h.household_sk = f.household_sk"
        return self.p.add(Step("subject_facts", sql, ("p_facts", "h_facts")))

    def _conditions(self, source: str) -> None:
        rs = self.rs
        subst: dict[str, exp.Expression] = {"as_of": self.as_of_sql}
        cols = [f"{rs.subject}_sk AS subject_sk", f"{self.div} AS division_sk"]
        deps = {n: exprs.names(c.when.ast) for n, c in rs.conditions.items()}
        for name in semantics.order(
            deps, {n: c.loc for n, c in rs.conditions.items()}, "conditions"
        ):
            text = render(rs.conditions[name].when.ast, subst)
            subst[name] = exprs.parse(text, rs.conditions[name].loc)
            cols.append(f"CAST({text} AS BOOLEAN) AS {q(name)}")
        carried = set(self.values())
        if rs.outputs is not None:
            outs = [rs.outputs.flag, rs.outputs.amount, *(w for _, w in rs.outputs.severity)]
            carried |= {n for e in outs if e is not None for n in exprs.names(e.ast)}
        carried -= set(rs.conditions) | {"as_of", "flag"}
        cols += [q(n) for n in sorted(carried)]
        self.p.add(Step("conditions", f"SELECT {', '.join(cols)}\nFROM {source}", (source,)))

    def _result(self) -> None:
        rs = self.rs
        cols = ["subject_sk", "division_sk"]
        subst: dict[str, exp.Expression] = {"as_of": self.as_of_sql}
        if rs.outputs is not None:
            out = rs.outputs
            flag = render(out.flag.ast, subst)
            cols.append(f"CAST({flag} AS BOOLEAN) AS flag")
            subst["flag"] = exprs.parse(flag, out.flag.loc)
            amount = render(out.amount.ast, subst) if out.amount is not None else "NULL"
            cols.append(f"CAST({amount} AS BIGINT) AS amount_fen")
            branches = " ".join(
                f"WHEN {render(w.ast, subst)} THEN '{label}'" for label, w in out.severity
            )
            cols.append(
                f"CAST({f'CASE {branches} END' if branches else 'NULL'} AS VARCHAR) AS severity"
            )
        cols += [q(c) for c in rs.conditions]
        cols += [
            f"CAST({q(v)} AS {catalog.SQL_TYPES[self.type_of(v)]}) AS {q(v)}" for v in self.values()
        ]
        where = ""
        if self.flagged_only and rs.outputs is not None:
            where = f"\nWHERE CAST({render(rs.outputs.flag.ast, subst)} AS BOOLEAN)"
        self.p.add(
            Step("result", f"SELECT {', '.join(cols)}\nFROM conditions{where}", ("conditions",))
        )
        self.p.outputs["result"] = self.result_schema()


def _agg(kind: str, value: str, cond: str) -> str:
    """SQL of one aggregate; sums come back to BIGINT (DuckDB widens them to HUGEINT)."""
    return {
        "count": f"COUNT({value}){cond}",
        "sum": f"CAST(SUM({value}){cond} AS BIGINT)",
        "min": f"MIN({value}){cond}",
        "max": f"MAX({value}){cond}",
        "any": f"BOOL_OR({value}){cond}",
        "all": f"BOOL_AND({value}){cond}",
    }[kind]


def expr_sql(e: Expr, as_of: dt.date, table: str | None = None) -> str:
    """One checked expression as SQL on ``as_of`` (used by indicators)."""
    subst = {"as_of": exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))}
    return render(e.ast, subst, table)

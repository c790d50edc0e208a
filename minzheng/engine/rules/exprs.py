"""Expressions of the rule language: a small typed subset of SQL, checked before compiling.

An expression is parsed by sqlglot (DuckDB syntax), every node is checked against an
allow-list (no function calls beyond a few pure built-ins, no sub-queries, so no UDFs
can appear in generated SQL) and every name is resolved in a scope with a type.
Money is integer fen: ``/`` is refused because it is inexact; compare ``a < b * n``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import sqlglot
from sqlglot import exp

from minzheng.engine.errors import DefinitionError, Loc
from minzheng.engine.rules.schema import Expr

NUMBER = "number"  # an integer literal: fits integer and money alike
ALLOWED = "abs, coalesce, greatest, least, CASE, IN, BETWEEN, LIKE, IS NULL"


@dataclass(frozen=True)
class Symbol:
    """A name visible to an expression, with its type and what it is."""

    name: str
    type: str
    kind: str  # column, fact, parameter, condition, output, builtin


def parse(text: str, loc: Loc) -> exp.Expression:
    """Parse ``text`` as one expression; syntax errors point at the definition's line."""
    try:
        node = sqlglot.parse_one(str(text), read="duckdb")
    except sqlglot.errors.ParseError as err:
        detail = err.errors[0]["description"] if err.errors else str(err)
        raise DefinitionError(loc, f"cannot parse expression {text!r}: {detail}") from None
    if isinstance(node, exp.Query) or node is None:
        raise DefinitionError(loc, f"{text!r} is a query, not an expression")
    return cast(exp.Expression, node)


def check(expr: Expr, scope: Mapping[str, Symbol], *, want: str | None, what: str) -> str:
    """Parse, allow-list and type ``expr`` in ``scope``; ``want`` is the required type."""
    expr.ast = parse(expr.text, expr.loc)
    typ = _Checker(scope, expr.loc, what).type(expr.ast)
    typ = "integer" if typ == NUMBER else typ
    if want and not _fits(typ, want):
        raise DefinitionError(expr.loc, f"{what} must be {want}, but {expr.text!r} is {typ}")
    expr.type = typ
    return typ


def names(node: exp.Expression) -> set[str]:
    """Every name an expression refers to."""
    return {c.name for c in node.find_all(exp.Column)}


def _fits(got: str, want: str) -> bool:
    return (
        got == want or (got in (NUMBER, "null") and want in ("integer", "money")) or (got == "null")
    )


class _Checker:
    """Walks one expression tree: allow-list and types."""

    def __init__(self, scope: Mapping[str, Symbol], loc: Loc, what: str) -> None:
        self.scope, self.loc, self.what = scope, loc, what

    def fail(self, message: str) -> NoReturn:
        raise DefinitionError(self.loc, message)

    def type(self, node: exp.Expression) -> str:
        handler: Callable[[Any], str] | None = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            self.fail(_refusal(node))
        return handler(node)

    # leaves
    def _Column(self, node: exp.Column) -> str:
        if node.table:
            self.fail(f"qualified name {node.sql()!r} is not allowed: write just {node.name!r}")
        sym = self.scope.get(node.name)
        if sym is None:
            self.fail(unknown(node.name, self.scope, self.what))
        return sym.type

    def _Literal(self, node: exp.Literal) -> str:
        if node.is_string:
            return "text"
        if not node.this.isdigit():
            self.fail(
                f"decimal number {node.this} is not allowed: use whole numbers "
                "(money in fen, shares in percent)"
            )
        return NUMBER

    def _Boolean(self, node: exp.Boolean) -> str:
        return "boolean"

    def _Null(self, node: exp.Null) -> str:
        return "null"

    def _Paren(self, node: exp.Paren) -> str:
        return self.type(node.this)

    # arithmetic
    def _Neg(self, node: exp.Neg) -> str:
        return self._numeric(node.this)

    def _Add(self, node: exp.Add) -> str:
        return self._additive(node, "+")

    def _Sub(self, node: exp.Sub) -> str:
        return self._additive(node, "-")

    def _Mul(self, node: exp.Mul) -> str:
        a, b = self._numeric(node.this), self._numeric(node.expression)
        if a == b == "money":
            self.fail(f"cannot multiply money by money in {node.sql()!r}")
        return "money" if "money" in (a, b) else _num(a, b)

    def _IntDiv(self, node: exp.IntDiv) -> str:
        a, b = self._numeric(node.this), self._numeric(node.expression)
        if b == "money":
            return (
                "integer"
                if a == "money"
                else self.fail(f"cannot divide a count by money in {node.sql()!r}")
            )
        return a if a != NUMBER else _num(a, b)

    def _Div(self, node: exp.Div) -> str:
        self.fail(
            f"'/' is not allowed in {node.sql()!r}: it is inexact for money. Compare "
            "a < b * n instead, or use // for whole-number division"
        )

    def _additive(self, node: exp.Binary, op: str) -> str:
        a, b = self._numeric(node.this), self._numeric(node.expression)
        if {a, b} == {"money", "integer"}:
            self.fail(
                f"type mismatch: cannot {'add' if op == '+' else 'subtract'} money and an "
                f"integer in {node.sql()!r}"
            )
        return "money" if "money" in (a, b) else _num(a, b)

    def _numeric(self, node: exp.Expression) -> str:
        t = self.type(node)
        if t not in ("integer", "money", NUMBER, "null"):
            self.fail(f"type mismatch: {node.sql()!r} is {t}, a number is needed")
        return NUMBER if t == "null" else t

    # comparisons
    def _compare(self, node: Any) -> str:
        self._unify([node.this, node.expression], node)
        return "boolean"

    _EQ = _NEQ = _GT = _GTE = _LT = _LTE = _compare

    def _Is(self, node: exp.Is) -> str:
        self.type(node.this)
        if not isinstance(node.expression, exp.Null):
            self.fail(f"only IS NULL / IS NOT NULL are allowed, not {node.sql()!r}")
        return "boolean"

    def _In(self, node: exp.In) -> str:
        if node.args.get("query") or node.args.get("unnest"):
            self.fail(f"sub-queries are not allowed in {node.sql()!r}")
        self._unify([node.this, *node.expressions], node)
        return "boolean"

    def _Between(self, node: exp.Between) -> str:
        self._unify([node.this, node.args["low"], node.args["high"]], node)
        return "boolean"

    def _Like(self, node: exp.Like) -> str:
        for part in (node.this, node.expression):
            if self.type(part) != "text":
                self.fail(f"type mismatch: LIKE needs text, {part.sql()!r} is not")
        return "boolean"

    # logic
    def _And(self, node: exp.Binary) -> str:
        for part in (node.this, node.expression):
            self._boolean(part)
        return "boolean"

    _Or = _And

    def _Not(self, node: exp.Not) -> str:
        return self._boolean(node.this)

    def _boolean(self, node: exp.Expression) -> str:
        t = self.type(node)
        if t not in ("boolean", "null"):
            self.fail(f"type mismatch: {node.sql()!r} is {t}, a condition (true/false) is needed")
        return "boolean"

    # functions
    def _Case(self, node: exp.Case) -> str:
        if node.this is not None:
            self.fail("write CASE WHEN <condition> THEN …, not CASE <value> WHEN …")
        for branch in node.args["ifs"]:
            self._boolean(branch.this)
        results = [b.args["true"] for b in node.args["ifs"]]
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        return self._unify(results, node)

    def _If(self, node: exp.If) -> str:
        self._boolean(node.this)
        parts = [node.args["true"]] + ([node.args["false"]] if node.args.get("false") else [])
        return self._unify(parts, node)

    def _Coalesce(self, node: exp.Expression) -> str:
        return self._unify([node.this, *node.expressions], node)

    _Greatest = _Least = _Coalesce

    def _Abs(self, node: exp.Abs) -> str:
        return self._numeric(node.this)

    def _unify(self, parts: list[exp.Expression], node: exp.Expression) -> str:
        """The common type of ``parts`` (integer literals fit integer and money)."""
        types = [(p, self.type(p)) for p in parts]
        known = [(p, t) for p, t in types if t not in (NUMBER, "null")]
        for p, t in known[1:]:
            if t != known[0][1]:
                q, u = known[0]
                self.fail(
                    f"type mismatch in {node.sql()!r}: {q.sql()!r} is {u} but {p.sql()!r} is {t}"
                )
        if known:
            kind = known[0][1]
            if kind not in ("integer", "money") and any(t == NUMBER for _, t in types):
                self.fail(f"type mismatch in {node.sql()!r}: a number beside {kind}")
            return kind
        return NUMBER if any(t == NUMBER for _, t in types) else "null"


def _num(a: str, b: str) -> str:
    return NUMBER if a == b == NUMBER else ("integer" if "integer" in (a, b) else a)


def _refusal(node: exp.Expression) -> str:
    if isinstance(node, exp.Query | exp.Subquery):
        return "sub-queries are not allowed in rules"
    if isinstance(node, exp.Func):
        name = node.sql_name() if not isinstance(node, exp.Anonymous) else node.name
        return f"function {name.upper()}() is not allowed in rules (allowed: {ALLOWED})"
    return f"{node.sql()!r} is not allowed in rules (allowed: arithmetic, comparisons, {ALLOWED})"


def unknown(name: str, scope: Mapping[str, Symbol], what: str) -> str:
    close = difflib.get_close_matches(name, list(scope), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown name {name!r} in {what}: not a fact, parameter or column here{hint}"

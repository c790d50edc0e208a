"""Names, scopes and types of a parsed rule set: what each expression may see and be."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from minzheng.engine import catalog
from minzheng.engine.errors import DefinitionError, Loc
from minzheng.engine.rules import exprs
from minzheng.engine.rules.exprs import Symbol
from minzheng.engine.rules.schema import Expr, Fact, Ruleset

AS_OF = Symbol("as_of", "date", "builtin")
OUTPUTS = {
    "flag": Symbol("flag", "boolean", "output"),
    "amount_fen": Symbol("amount_fen", "money", "output"),
    "severity": Symbol("severity", "text", "output"),
}
DIVISION_CODES = ("hukou_division", "residence_division")  # fixture shorthand for *_sk


def columns(level: str) -> dict[str, Symbol]:
    """Registry columns (and built-ins such as ``age``) visible on ``level``."""
    cols = {**catalog.REGISTRY[level].visible(), **catalog.DERIVED[level]}
    return {n: Symbol(n, t, "column") for n, t in cols.items()}


def source_columns(rs: Ruleset, source: str) -> dict[str, str]:
    """Columns (name → type) of an aggregation source other than ``person``."""
    if source in rs.inputs:
        return dict(rs.inputs[source].columns)
    return catalog.REGISTRY[source].visible()


def entity_scope(rs: Ruleset, level: str) -> dict[str, Symbol]:
    """What a person or household expression sees: its columns, facts and parameters."""
    scope = {**columns(level), "as_of": AS_OF}
    scope.update({n: Symbol(n, p.type, "parameter") for n, p in rs.parameters.items()})
    scope.update(
        {n: Symbol(n, f.type, "fact") for n, f in rs.facts.items() if f.of == level and f.type}
    )
    return scope


def condition_scope(rs: Ruleset) -> dict[str, Symbol]:
    """What conditions, outputs and explanations see (a person rule sees household facts)."""
    scope = entity_scope(rs, rs.subject)
    if rs.subject == "person":
        scope.update(
            {n: Symbol(n, f.type, "fact") for n, f in rs.facts.items() if f.of == "household"}
        )
    scope.update({n: Symbol(n, "boolean", "condition") for n in rs.conditions})
    return scope


def indicator_scope(rs: Ruleset) -> dict[str, Symbol]:
    scope = condition_scope(rs)
    if rs.outputs is not None:
        scope.update(OUTPUTS)
    return scope


def order(deps: Mapping[str, Iterable[str]], locs: Mapping[str, Loc], what: str) -> list[str]:
    """Names in dependency order; a cycle is a definition error at its first member."""
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " → ".join([*path[path.index(name) :], name])
            raise DefinitionError(locs[name], f"{what} refer to each other in a cycle: {cycle}")
        state[name] = 1
        for dep in deps.get(name, ()):
            if dep in deps:
                visit(dep, [*path, name])
        state[name] = 2
        done.append(name)

    for name in deps:
        visit(name, [])
    return done


def fact_deps(rs: Ruleset, f: Fact) -> set[str]:
    """Facts that ``f`` reads (same level for expressions; person facts for person sums)."""
    level = f.of if f.expr is not None else ("person" if f.source == "person" else None)
    if level is None:
        return set()
    found: set[str] = set()
    for e in (f.expr, f.value, f.where):
        if e is not None:
            found |= exprs.names(exprs.parse(e.text, e.loc))
    return {n for n in found if n in rs.facts and rs.facts[n].of == level}


def check(rs: Ruleset, errors: list[DefinitionError]) -> None:
    """Resolve every name and type every expression, collecting errors into ``errors``."""
    _facts(rs, errors)
    scope = condition_scope(rs)
    for c in rs.conditions.values():
        _try(
            errors,
            lambda c=c: exprs.check(c.when, scope, want="boolean", what=f"condition {c.name!r}"),
        )
        for t in (c.explain, c.explain_false):
            if t is None:
                continue
            for name in t.names():
                if name not in scope:
                    errors.append(DefinitionError(t.loc, exprs.unknown(name, scope, "explanation")))
    _try(
        errors,
        lambda: order(
            {n: _refs(c.when) for n, c in rs.conditions.items()},
            {n: c.loc for n, c in rs.conditions.items()},
            "conditions",
        ),
    )
    _outputs(rs, scope, errors)
    if rs.outputs is not None and rs.outputs.explain is not None:
        t = rs.outputs.explain
        for name in t.names():
            if name not in scope:
                errors.append(DefinitionError(t.loc, exprs.unknown(name, scope, "explanation")))
    _indicators(rs, errors)
    if rs.conditions and rs.outputs is None:
        first = next(iter(rs.conditions.values()))
        errors.append(
            DefinitionError(first.loc, "conditions need an 'outputs:' section with a flag")
        )


def _try(errors: list[DefinitionError], fn: object) -> bool:
    try:
        fn()  # type: ignore[operator]
    except DefinitionError as err:
        errors.append(err)
        return False
    return True


def _refs(e: Expr) -> set[str]:
    try:
        return exprs.names(exprs.parse(e.text, e.loc))
    except DefinitionError:
        return set()


def _facts(rs: Ruleset, errors: list[DefinitionError]) -> None:
    deps: dict[str, set[str]] = {}
    for name, f in rs.facts.items():
        if not _try(errors, lambda f=f, name=name: deps.__setitem__(name, fact_deps(rs, f))):
            deps[name] = set()
    try:
        names = order(deps, {n: f.loc for n, f in rs.facts.items()}, "facts")
    except DefinitionError as err:
        errors.append(err)
        return
    failed: set[str] = set()
    for name in names:
        if deps[name] & failed or not _try(errors, lambda name=name: _fact(rs, rs.facts[name])):
            failed.add(name)


def _fact(rs: Ruleset, f: Fact) -> None:
    what = f"fact {f.name!r}"
    if f.expr is not None:
        f.type = exprs.check(f.expr, entity_scope(rs, f.of), want=None, what=what)
        return
    scope = _source_scope(rs, f)
    if f.where is not None:
        exprs.check(f.where, scope, want="boolean", what=f"'where' of {what}")
    if f.window is not None:
        date = rs.inputs[f.source].date if f.source in rs.inputs else None
        if date is None:
            raise DefinitionError(
                f.loc, f"{what}: window needs a source with a date column; {f.source!r} has none"
            )
    f.type = _aggregate_type(f, scope, what)


def _source_scope(rs: Ruleset, f: Fact) -> dict[str, Symbol]:
    src, what = f.source or "", f"fact {f.name!r}"
    if src == "person":
        if f.of != "household":
            raise DefinitionError(f.loc, f"{what}: a person fact cannot aggregate over persons")
        return entity_scope(rs, "person")
    if src not in rs.inputs and src not in ("income", "asset"):
        known = ", ".join(["person", "income", "asset", *rs.inputs])
        raise DefinitionError(f.loc, f"{what}: unknown source {src!r} (known: {known})")
    if f.of == "person" and src in rs.inputs and rs.inputs[src].key == "household_sk":
        raise DefinitionError(
            f.loc, f"{what}: {src!r} is keyed by household, so it cannot give a person fact"
        )
    cols = source_columns(rs, src)
    return {**{n: Symbol(n, t, "column") for n, t in cols.items()}, "as_of": AS_OF}


def _aggregate_type(f: Fact, scope: dict[str, Symbol], what: str) -> str:
    if f.agg == "count":
        if f.value is not None:
            exprs.check(f.value, scope, want=None, what=f"value of {what}")
        return "integer"
    if f.value is None:
        raise DefinitionError(
            f.loc, f"{what}: {f.agg} needs a value, e.g. {f.agg}: {f.source}.<column>"
        )
    want = {"sum": None, "any": "boolean", "all": "boolean"}.get(f.agg or "")
    typ = exprs.check(f.value, scope, want=want, what=f"value of {what}")
    if f.agg == "sum" and typ not in ("integer", "money"):
        raise DefinitionError(
            f.value.loc, f"{what}: sum needs a number, but {f.value.text!r} is {typ}"
        )
    if f.agg in ("min", "max") and typ == "boolean":
        raise DefinitionError(
            f.value.loc, f"{what}: use any/all for true/false values, not {f.agg}"
        )
    return typ


def _outputs(rs: Ruleset, scope: dict[str, Symbol], errors: list[DefinitionError]) -> None:
    out = rs.outputs
    if out is None:
        return
    _try(errors, lambda: exprs.check(out.flag, scope, want="boolean", what="output 'flag'"))
    scope = {**scope, "flag": OUTPUTS["flag"]}  # amount and severity may read the flag
    if out.amount is not None:
        amount = out.amount
        _try(errors, lambda: exprs.check(amount, scope, want="money", what="output 'amount_fen'"))
    for label, when in out.severity:
        _try(
            errors,
            lambda w=when, lb=label: exprs.check(w, scope, want="boolean", what=f"severity {lb!r}"),
        )


def _indicators(rs: Ruleset, errors: list[DefinitionError]) -> None:
    scope = indicator_scope(rs)
    for ind in rs.indicators.values():
        what = f"indicator {ind.name!r}"
        if ind.value is not None:
            want = "boolean" if ind.measure == "count" else None
            ok = _try(
                errors, lambda i=ind, w=want, wh=what: exprs.check(i.value, scope, want=w, what=wh)
            )
            if ok and ind.measure == "sum" and ind.value.type not in ("integer", "money"):
                errors.append(DefinitionError(ind.value.loc, f"{what}: sum needs a number"))
        if ind.where is not None:
            _try(
                errors,
                lambda i=ind, wh=what: exprs.check(
                    i.where, scope, want="boolean", what=f"'where' of {wh}"
                ),
            )
        for dim in ind.by:
            if dim not in scope:
                errors.append(
                    DefinitionError(ind.loc, exprs.unknown(dim, scope, f"'by' of {what}"))
                )

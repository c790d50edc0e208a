"""Read a rule-set file into a checked :class:`Ruleset`; every error names file and line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minzheng.engine import catalog
from minzheng.engine.errors import DefinitionError, DefinitionErrors, Loc
from minzheng.engine.rules import semantics
from minzheng.engine.rules.schema import (
    AGGREGATES,
    RESERVED,
    TYPES,
    Condition,
    Example,
    Expr,
    Fact,
    Indicator,
    Input,
    Outputs,
    Parameter,
    Ruleset,
    Template,
    Window,
)
from minzheng.engine.rules.yamlio import LDict, LList, load_text

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
WINDOW = re.compile(r"^\s*(\d+)\s*(month|months|day|days|year|years)\s*$")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)(?:\|([a-z]+))?\}")
FORMATS = ("fen", "yuan")
TOP = (
    "ruleset",
    "include",
    "version",
    "title",
    "subject",
    "division",
    "parameters",
    "inputs",
    "facts",
    "conditions",
    "outputs",
    "indicators",
    "examples",
    "meta",
)


def load_ruleset(path: Path | str) -> Ruleset:
    """Load and check one rule-set YAML file (raises :class:`DefinitionErrors`)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")
    return parse_ruleset(text, str(p))


def parse_ruleset(text: str, file: str = "<string>") -> Ruleset:
    """Check rule-set YAML ``text``; errors are reported against ``file``."""
    doc = load_text(text, file)
    errors: list[DefinitionError] = []
    if not isinstance(doc, LDict):
        raise DefinitionErrors([DefinitionError(Loc(file, 1), "a rule set must be a mapping")])
    digest = hashlib.sha256(text.encode())
    if "include" in doc:
        _include(doc, Path(file).parent, digest, errors)
    rs = _Parser(doc, errors).ruleset(digest.hexdigest())
    if not errors:
        semantics.check(rs, errors)
    if errors:
        raise DefinitionErrors(errors)
    return rs


LIBRARY = ("parameters", "inputs", "facts", "conditions")


def _include(doc: LDict, base: Path, digest: Any, errors: list[DefinitionError]) -> None:
    """Merge shared definition files (``include: [income.yaml]``) into ``doc``'s sections.

    A library file holds only parameters, inputs, facts and conditions; its definitions
    come before the rule set's own (conditions after), and a name defined twice is an error naming both places. The rule set's
    hash covers the included text, so results record the exact definitions that ran.
    """
    names = doc["include"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        errors.append(DefinitionError(doc.loc("include"), "include must be a list of file names"))
        return
    merged: dict[str, LDict] = {}
    # The rule set's own conditions come first: they are its headline tests.
    _merge(merged, "conditions", doc.get("conditions"), errors)
    for i, name in enumerate(names):
        path = base / name
        loc = names.loc(i) if isinstance(names, LList) else doc.loc("include")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as err:
            errors.append(DefinitionError(loc, f"cannot read included file {name!r}: {err}"))
            continue
        digest.update(text.encode())
        lib = load_text(text, str(path))
        if not isinstance(lib, LDict):
            errors.append(DefinitionError(Loc(str(path), 1), "an included file must be a mapping"))
            continue
        for key in lib:
            if key not in LIBRARY:
                errors.append(
                    DefinitionError(
                        lib.loc(key),
                        f"an included file may hold only {', '.join(LIBRARY)}, not {key!r}",
                    )
                )
        for section in LIBRARY:
            _merge(merged, section, lib.get(section), errors)
    for section in LIBRARY:
        if section != "conditions":
            _merge(merged, section, doc.get(section), errors)
        if section in merged:
            doc[section] = merged[section]


def _merge(
    merged: dict[str, LDict], section: str, part: Any, errors: list[DefinitionError]
) -> None:
    if not isinstance(part, LDict):
        return
    into = merged.get(section)
    if into is None:
        into = merged[section] = LDict()
        into.file, into.line, into.lines, into.key_files = part.file, part.line, {}, {}
    for key, value in part.items():
        if key in into:
            first = into.loc(key)
            errors.append(
                DefinitionError(
                    part.loc(key), f"{key!r} is already defined at {first.file}:{first.line}"
                )
            )
            continue
        into[key] = value
        into.lines[key] = part.lines.get(key, part.line)
        into.key_files[key] = part.key_files.get(key, part.file)


class _Parser:
    """Structure of the file: required keys, known keys, names, scalar types."""

    def __init__(self, doc: LDict, errors: list[DefinitionError]) -> None:
        self.doc, self.errors = doc, errors

    def err(self, loc: Loc, message: str) -> None:
        self.errors.append(DefinitionError(loc, message))

    def ruleset(self, sha: str) -> Ruleset:
        d = self.doc
        self.known(d, TOP, "the rule set")
        rs = Ruleset(
            name=self.name(d, "ruleset", required=True) or "?",
            version=str(self.scalar(d, "version", required=True) or "?"),
            subject=self.choice(d, "subject", catalog.ENTITIES, "household"),
            division=self.choice(d, "division", ("hukou", "residence"), "hukou"),
            path=d.file,
            sha256=sha,
            title=str(d.get("title", "")),
        )
        rs.parameters = self.section(d, "parameters", self.parameter)
        rs.inputs = self.section(d, "inputs", self.input)
        rs.facts = self.section(d, "facts", lambda n, v, loc: self.fact(n, v, loc, rs.subject))
        rs.conditions = self.section(d, "conditions", self.condition)
        rs.outputs = self.outputs(d)
        rs.indicators = self.section(d, "indicators", self.indicator)
        rs.examples = self.examples(d)
        rs.meta = self.meta(d)
        self.clashes(rs)
        return rs

    # --- helpers -------------------------------------------------------------
    def known(self, m: LDict, keys: tuple[str, ...], what: str) -> None:
        for k in m:
            if k not in keys:
                self.err(
                    m.loc(k), f"unknown key {k!r} in {what} (expected one of: {', '.join(keys)})"
                )

    def scalar(self, m: LDict, key: str, *, required: bool = False) -> Any:
        if key not in m:
            if required:
                self.err(m.loc(), f"missing required key {key!r}")
            return None
        v = m[key]
        if isinstance(v, dict | list):
            self.err(m.loc(key), f"{key!r} must be a single value, not a {type(v).__name__}")
            return None
        return v

    def name(self, m: LDict, key: str, *, required: bool = False) -> str | None:
        v = self.scalar(m, key, required=required)
        if v is not None and not NAME.match(str(v)):
            self.err(m.loc(key), f"{v!r} is not a valid name (lower-case letters, digits, _)")
        return None if v is None else str(v)

    def choice(self, m: LDict, key: str, options: tuple[str, ...], default: str) -> str:
        v = self.scalar(m, key)
        if v is None:
            return default
        if v not in options:
            self.err(m.loc(key), f"{key} must be one of {', '.join(options)}, not {v!r}")
            return default
        return str(v)

    def mapping(self, m: LDict, key: str) -> LDict | None:
        v = m.get(key)
        if v is None:
            return None
        if not isinstance(v, LDict):
            self.err(m.loc(key), f"{key!r} must be a mapping of name → definition")
            return None
        return v

    def section(self, d: LDict, key: str, build: Callable[[str, Any, Loc], Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        m = self.mapping(d, key)
        for name, value in (m or {}).items():
            loc = m.loc(name)  # type: ignore[union-attr]
            if not NAME.match(str(name)):
                self.err(loc, f"{name!r} is not a valid name (lower-case letters, digits, _)")
                continue
            if name in RESERVED:
                self.err(
                    loc, f"{name!r} is reserved (used by the result table); choose another name"
                )
                continue
            item = build(str(name), value, loc)
            if item is not None:
                out[str(name)] = item
        return out

    def expr(self, m: LDict, key: str, *, required: bool = False) -> Expr | None:
        v = self.scalar(m, key, required=required)
        if v is None:
            return None
        if isinstance(v, bool):
            v = "true" if v else "false"
        return Expr(str(v), m.loc(key))

    def spec(self, value: Any, loc: Loc, shorthand: str, what: str) -> LDict | None:
        """A definition given as a mapping, or as a bare value for its main key."""
        if isinstance(value, LDict):
            return value
        if isinstance(value, dict | list) or value is None:
            self.err(loc, f"{what} must be a mapping or a single {shorthand}")
            return None
        m = LDict({shorthand: value})
        m.file, m.line, m.lines = loc.file, loc.line, {shorthand: loc.line}
        return m

    # --- sections ------------------------------------------------------------
    def parameter(self, name: str, value: Any, loc: Loc) -> Parameter | None:
        m = self.spec(value, loc, "type", f"parameter {name!r}")
        if m is None:
            return None
        self.known(m, ("type", "title"), f"parameter {name!r}")
        typ = self.choice(m, "type", ("money", "integer"), "")
        if not typ and "type" not in m:
            self.err(m.loc(), f"parameter {name!r} needs a type (money or integer)")
        return Parameter(name, typ or "integer", loc, str(m.get("title", "")))

    def input(self, name: str, value: Any, loc: Loc) -> Input | None:
        if not isinstance(value, LDict):
            self.err(loc, f"input {name!r} must be a mapping (key, date, columns)")
            return None
        self.known(value, ("key", "date", "columns", "title"), f"input {name!r}")
        key = self.choice(value, "key", ("person_sk", "household_sk", "id_number"), "person_sk")
        cols: dict[str, str] = {}
        spec = self.mapping(value, "columns") or LDict()
        for col, typ in spec.items():
            if typ not in TYPES:
                self.err(spec.loc(col), f"column {col!r}: type must be one of {', '.join(TYPES)}")
            cols[str(col)] = str(typ)
        date = self.name(value, "date")
        if date is not None:
            cols.setdefault(date, "date")
            if cols[date] != "date":
                self.err(value.loc("date"), f"date column {date!r} must have type date")
        if name in catalog.REGISTRY or name == "parameter":
            self.err(loc, f"input {name!r} would hide the registry table of that name")
        return Input(name, key, date, cols, loc, str(value.get("title", "")))

    def fact(self, name: str, value: Any, loc: Loc, subject: str) -> Fact | None:
        m = self.spec(value, loc, "expr", f"fact {name!r}")
        if m is None:
            return None
        keys = ("of", "title", "expr", "value", "where", "window", *AGGREGATES)
        self.known(m, keys, f"fact {name!r}")
        f = Fact(
            name,
            self.choice(m, "of", catalog.ENTITIES, subject),
            loc,
            title=str(m.get("title", "")),
        )
        aggs = [a for a in AGGREGATES if a in m]
        if bool(aggs) == ("expr" in m) or len(aggs) > 1:
            self.err(loc, f"fact {name!r} needs exactly one of: expr, {', '.join(AGGREGATES)}")
            return None
        if "expr" in m:
            f.expr = self.expr(m, "expr")
            for k in ("value", "where", "window"):
                if k in m:
                    self.err(m.loc(k), f"{k!r} applies to aggregations, not to an expr fact")
            return f
        f.agg = aggs[0]
        source = str(self.scalar(m, f.agg) or "")
        table, _, column = source.partition(".")
        f.source = table
        f.value = self.expr(m, "value")
        if column:
            if f.value is not None:
                self.err(
                    m.loc("value"), f"give either {f.agg}: {table}.{column} or value:, not both"
                )
            f.value = Expr(column, m.loc(f.agg))
        f.where = self.expr(m, "where")
        f.window = self.window(m)
        return f

    def window(self, m: LDict) -> Window | None:
        v = self.scalar(m, "window")
        if v is None:
            return None
        hit = WINDOW.match(str(v))
        if not hit or int(hit.group(1)) < 1:
            self.err(m.loc("window"), f"window {v!r} must look like '12 months' or '90 days'")
            return None
        n, unit = int(hit.group(1)), hit.group(2).rstrip("s")
        return Window(n * 12, "months") if unit == "year" else Window(n, unit + "s")

    def condition(self, name: str, value: Any, loc: Loc) -> Condition | None:
        m = self.spec(value, loc, "when", f"condition {name!r}")
        if m is None:
            return None
        self.known(m, ("when", "explain", "explain_false", "title"), f"condition {name!r}")
        when = self.expr(m, "when", required=True)
        if when is None:
            return None
        return Condition(
            name,
            when,
            loc,
            self.template(m, "explain"),
            self.template(m, "explain_false"),
            str(m.get("title", "")),
        )

    def template(self, m: LDict, key: str) -> Template | None:
        v = self.scalar(m, key)
        if v is None:
            return None
        text, loc, parts = str(v), m.loc(key), []
        pos = 0
        for hit in PLACEHOLDER.finditer(text):
            parts.append(text[pos : hit.start()])
            if hit.group(0) in ("{{", "}}"):
                parts.append(hit.group(0)[0])
            else:
                fmt = hit.group(2) or ""
                if fmt and fmt not in FORMATS:
                    self.err(
                        loc,
                        f"unknown format |{fmt} in {hit.group(0)} (known: {', '.join(FORMATS)})",
                    )
                parts.append((hit.group(1), fmt))  # type: ignore[arg-type]
            pos = hit.end()
        parts.append(text[pos:])
        stray = "".join(p for p in parts if isinstance(p, str) and p not in ("{", "}"))
        if "{" in stray or "}" in stray:
            self.err(loc, f"unbalanced or malformed placeholder in {text!r}: write {{name}}")
        return Template(text, [p for p in parts if p != ""], loc)

    def outputs(self, d: LDict) -> Outputs | None:
        m = self.mapping(d, "outputs")
        if m is None:
            return None
        self.known(m, ("flag", "amount_fen", "severity", "explain"), "outputs")
        flag = self.expr(m, "flag", required=True)
        out = Outputs(flag or Expr("false", m.loc()), self.expr(m, "amount_fen"))
        out.explain = self.template(m, "explain")
        sev = self.mapping(m, "severity") or LDict()
        for label, when in sev.items():
            loc = sev.loc(label)
            out.severity.append(
                (str(label), Expr(str(when).lower() if isinstance(when, bool) else str(when), loc))
            )
        return out

    def indicator(self, name: str, value: Any, loc: Loc) -> Indicator | None:
        if not isinstance(value, LDict):
            self.err(loc, f"indicator {name!r} must be a mapping (count or sum, by, where)")
            return None
        self.known(value, ("count", "sum", "where", "by", "rollup", "title"), f"indicator {name!r}")
        measures = [k for k in ("count", "sum") if k in value]
        if len(measures) != 1:
            self.err(loc, f"indicator {name!r} needs exactly one of: count, sum")
            return None
        ind = Indicator(name, measures[0], loc, title=str(value.get("title", "")))
        raw = value[ind.measure]
        if ind.measure == "sum" or raw not in (True, "*", "subjects"):
            ind.value = self.expr(value, ind.measure)
        ind.where = self.expr(value, "where")
        by = value.get("by", [])
        if not isinstance(by, list) or not all(isinstance(b, str) for b in by):
            self.err(value.loc("by"), "'by' must be a list of names")
        else:
            ind.by = list(by)
        ind.rollup = bool(value.get("rollup", True))
        return ind

    def meta(self, d: LDict) -> dict[str, Any]:
        """The ``meta:`` mapping, as plain data (its users check what is inside)."""
        raw = d.get("meta")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.err(d.loc("meta"), "meta: must be a mapping")
            return {}
        return json.loads(json.dumps(raw, default=str))

    def examples(self, d: LDict) -> list[Example]:
        v = d.get("examples")
        if v is None:
            return []
        if not isinstance(v, LList):
            self.err(d.loc("examples"), "'examples' must be a list")
            return []
        return [e for i, item in enumerate(v) if (e := self.example(item, v.loc(i))) is not None]

    def example(self, item: Any, loc: Loc) -> Example | None:
        if not isinstance(item, LDict):
            self.err(loc, "an example must be a mapping (name, as_of, given, expect)")
            return None
        self.known(item, ("name", "as_of", "given", "expect", "expect_indicators"), "an example")
        as_of = self.scalar(item, "as_of", required=True)
        if as_of is not None and not isinstance(as_of, dt.date):
            self.err(item.loc("as_of"), f"as_of must be a date (YYYY-MM-DD), not {as_of!r}")
        given = self.mapping(item, "given") or LDict()
        expect = item.get("expect", LList())
        if not isinstance(expect, list):
            self.err(item.loc("expect"), "'expect' must be a list of rows")
            expect = LList()
        ex = Example(
            str(item.get("name", f"example at line {loc.line}")),
            as_of if isinstance(as_of, dt.date) else dt.date(1970, 1, 1),
            {str(k): list(rows or []) for k, rows in given.items()},
            [dict(r) for r in expect],
            loc,
            {k: list(v) for k, v in (self.mapping(item, "expect_indicators") or {}).items()},
        )
        ex.lines = {
            "given": {k: given.loc(k) for k in given},
            "expect": [
                expect.loc(i) if isinstance(expect, LList) else loc for i in range(len(expect))
            ],
        }
        return ex

    def clashes(self, rs: Ruleset) -> None:
        """Parameters, facts and conditions share one namespace with the tables' columns."""
        seen: dict[str, str] = {}
        columns = {c for e in catalog.ENTITIES for c in catalog.REGISTRY[e].visible()}
        for kind, items in (
            ("parameter", rs.parameters),
            ("fact", rs.facts),
            ("condition", rs.conditions),
        ):
            for name, item in items.items():
                if name in seen:
                    self.err(item.loc, f"{kind} {name!r} has the same name as a {seen[name]}")
                elif name in columns:
                    self.err(item.loc, f"{kind} {name!r} hides the registry column of that name")
                seen[name] = kind

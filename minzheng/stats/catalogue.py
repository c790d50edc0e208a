"""The indicator catalogue: ``catalogue.yaml`` loaded into frozen dataclasses.

The catalogue is data in YAML rather than a Python table because statisticians review it
beside the rule sets it points to, its text is hashed into every snapshot's code version
together with those rule sets, and its figures (the seed) are copied from a CSV, not
written by programmers. One loader checks it: units, kinds, sections and references.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "catalogue.yaml"
RULES = HERE / "rules"
KINDS = ("stock", "flow", "ratio")
ADDITIVE = ("stock", "flow")
# report unit → (base unit of stored values, base units per report unit)
UNITS: dict[str, tuple[str, int]] = {
    "人": ("人", 1),
    "万人": ("人", 10_000),
    "户": ("户", 1),
    "万户": ("户", 10_000),
    "人次": ("人次", 1),
    "万人次": ("人次", 10_000),
    "元/人·月": ("元/人·月", 1),
    "元/人·年": ("元/人·年", 1),
    "元": ("元", 1),
    "分": ("分", 1),
    "亿元": ("元", 100_000_000),
    "%": ("%", 1),
    "个": ("个", 1),
    "张": ("张", 1),
    "万张": ("张", 10_000),
    "对": ("对", 1),
    "万对": ("对", 10_000),
    "万具": ("具", 10_000),
    "件": ("件", 1),
    "小时": ("小时", 1),
}
DIMENSIONS = ("urban", "sex", "age_band", "layer")
KEYS = {"code", "section", "zh", "en", "unit", "kind", "compute", "where", "by", "ratio"}
KEYS |= {"factor", "entered", "seed"}


class CatalogueError(ValueError):
    """The catalogue file is inconsistent (the message names the indicator)."""


@dataclass(frozen=True)
class Source:
    """Where a computed indicator's values come from: one engine indicator (or one per
    value of a dimension), with some dimensions fixed by ``where``."""

    parts: dict[str, str]  # dimension value → "ruleset.indicator" ("" = no such dimension)
    dimension: str = ""  # the dimension the parts spread over (e.g. "layer")
    where: dict[str, Any] = field(default_factory=dict)
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    section: str
    zh: str
    en: str
    unit: str
    kind: str
    source: Source | None = None
    ratio: tuple[str, str] | None = None
    factor: Decimal = Decimal(1)
    seed: dict[str, str] = field(default_factory=dict)

    @property
    def entered(self) -> bool:
        """Aggregate-only: typed in, never computed."""
        return self.source is None and self.ratio is None

    @property
    def additive(self) -> bool:
        return self.kind in ADDITIVE

    @property
    def scale(self) -> int:
        """Base units (as stored) per report unit: 10 000 for 万人."""
        return UNITS[self.unit][1]

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimensions besides the division."""
        if self.source is None:
            return ()
        return ((self.source.dimension,) if self.source.dimension else ()) + self.source.by


@dataclass(frozen=True)
class Catalogue:
    sections: dict[str, dict[str, str]]
    indicators: dict[str, IndicatorDef]
    sha256: str

    def computed(self) -> list[IndicatorDef]:
        return [i for i in self.indicators.values() if not i.entered]


@functools.cache
def catalogue() -> Catalogue:
    """The shipped catalogue (parsed once per process)."""
    return load(CATALOGUE)


def load(path: Path) -> Catalogue:
    """Parse and check a catalogue file."""
    import yaml

    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    sections = doc["sections"]
    out: dict[str, IndicatorDef] = {}
    for raw in doc["indicators"]:
        ind = _indicator(raw)
        if ind.code in out:
            raise CatalogueError(f"{ind.code}: code used twice")
        if ind.section not in sections:
            raise CatalogueError(f"{ind.code}: unknown section {ind.section!r}")
        out[ind.code] = ind
    for ind in out.values():
        if ind.ratio and not all(c in out and out[c].additive for c in ind.ratio):
            raise CatalogueError(f"{ind.code}: ratio parts must be stock/flow indicators")
    return Catalogue(sections, out, hashlib.sha256(text.encode()).hexdigest())


def _indicator(raw: dict[str, Any]) -> IndicatorDef:
    code = str(raw.get("code", "?"))
    unknown = set(raw) - KEYS
    if unknown:
        raise CatalogueError(f"{code}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("unit") not in UNITS:
        raise CatalogueError(f"{code}: unknown unit {raw.get('unit')!r}")
    if raw.get("kind") not in KINDS:
        raise CatalogueError(f"{code}: kind must be one of {', '.join(KINDS)}")
    ratio = (str(raw["ratio"][0]), str(raw["ratio"][1])) if "ratio" in raw else None
    source = _source(code, raw) if "compute" in raw else None
    if raw.get("entered") and (source or ratio):
        raise CatalogueError(f"{code}: an entered indicator has no computation")
    if not raw.get("entered") and not (source or ratio):
        raise CatalogueError(f"{code}: give compute, ratio or entered: true")
    if (ratio is not None) != (raw["kind"] == "ratio") and not raw.get("entered"):
        raise CatalogueError(f"{code}: a ratio is defined by ratio: [numerator, denominator]")
    return IndicatorDef(
        code=code,
        section=raw["section"],
        zh=raw["zh"],
        en=raw["en"],
        unit=raw["unit"],
        kind=raw["kind"],
        source=source,
        ratio=ratio,
        factor=Decimal(str(raw.get("factor", "1"))),
        seed={k: str(v) for k, v in (raw.get("seed") or {}).items()},
    )


def _source(code: str, raw: dict[str, Any]) -> Source:
    spec = raw["compute"]
    where = dict(raw.get("where") or {})
    by = tuple(raw.get("by") or ())
    unknown = [d for d in (*where, *by) if d not in DIMENSIONS]
    if unknown:
        raise CatalogueError(f"{code}: unknown dimension(s) {', '.join(unknown)}")
    if isinstance(spec, str):
        return Source({"": spec}, "", where, by)
    (dimension, parts), *rest = spec.items()
    if rest or dimension not in DIMENSIONS:
        raise CatalogueError(f"{code}: compute takes one dimension → indicator mapping")
    return Source({str(k): str(v) for k, v in parts.items()}, dimension, where, by)


def rule_files() -> list[Path]:
    """The rule sets the computed indicators read (sorted, for a stable code version)."""
    return sorted(RULES.glob("*.yaml"))


def code_version() -> str:
    """Package version + sha256 over the catalogue and the rule files (no git needed)."""
    import minzheng

    digest = hashlib.sha256(CATALOGUE.read_bytes())
    for path in rule_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{minzheng.__version__}+{digest.hexdigest()[:16]}"

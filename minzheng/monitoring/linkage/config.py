"""Linkage settings: which columns mean what, the thresholds, blocking and training.

A YAML document (see ``default.yaml`` beside this module)::

    fields:                    # canonical field -> column of each table
      left:
        id: record_id          # the row's key in the output (default: row number)
        id_number: id_number
        name: name
        name_pinyin: null      # optional precomputed pinyin; computed from name if absent
        sex: sex               # 1/2, 男/女, M/F
        birth_date: birth_date # DATE, YYYY-MM-DD or YYYYMMDD
        division: division_code            # 6-, 9- or 12-digit code
        address: null
      right:
        id: person_key
        division: [hukou_division, residence_division]   # up to two columns, either may match
        ...
    thresholds:
      accept: 0.95             # at or above: linked
      review: 0.5              # at or above (below accept): clerical review queue
    blocking:                  # candidate pairs agree on every key of at least one rule
      - [birth_date, division6]
      - [name_pinyin, birth_year]
    training:
      seed: 42
      u_max_pairs: 2000000     # random pairs for the u probabilities
      labelled_pairs: 20000    # exact-ID matches used as labelled pairs for m
      m_floor: 0.001           # no level is a veto because the labels never showed it
      prior: null              # P(two random records match); null = from the exact-join rate
      m_method: labels         # labels (exact-ID matches) or em
    fixed:                     # optional fixed m (and/or u) per comparison, one per level
      id_number: {m: [0.9, 0.06, 0.04]}

Every field except ``id`` is optional on either side, but a comparison runs only
when both sides map it. Blocking keys: ``id_number``, ``name``, ``name_pinyin``,
``name_initials``, ``sex``, ``birth_date``, ``birth_year``, ``birth_month``
(year and month), ``division12`` / ``division9`` / ``division6`` / ``division4``.

Errors are :class:`LinkConfigError` naming the offending key in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minzheng.core.errors import BilingualError

__all__ = [
    "BLOCKING_KEYS",
    "COMPARISON_LEVELS",
    "DEFAULT_PATH",
    "FIELDS",
    "LinkConfig",
    "LinkConfigError",
    "Training",
    "load_config",
    "parse_config",
]

DEFAULT_PATH = Path(__file__).with_name("default.yaml")
FIELDS = ("id", "id_number", "name", "name_pinyin", "sex", "birth_date", "division", "address")
BLOCKING_KEYS = (
    "id_number",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "birth_year",
    "birth_month",
    "division12",
    "division9",
    "division6",
    "division4",
)
#: Comparisons and how many non-null levels each has (the length of a ``fixed`` list).
COMPARISON_LEVELS = {
    "name": 5,
    "birth_date": 5,
    "sex": 2,
    "division": 5,
    "address": 3,
    "id_number": 3,
}
_TOP = {"fields", "thresholds", "blocking", "training", "fixed"}


class LinkConfigError(BilingualError):
    """A linkage setting is missing or wrong; ``key`` is its dotted path."""

    def __init__(self, key: str, message: str, message_en: str) -> None:
        super().__init__("config", f"配置项 {key}：{message}", f"setting {key}: {message_en}")
        self.key = key


@dataclass(frozen=True)
class Training:
    """How the model's m and u probabilities are estimated."""

    seed: int = 42
    u_max_pairs: int = 2_000_000
    labelled_pairs: int = 20_000
    m_floor: float = 0.001
    prior: float | None = None
    m_method: str = "labels"


@dataclass(frozen=True)
class LinkConfig:
    """A validated linkage configuration (see the module docstring)."""

    left: dict[str, list[str]]
    right: dict[str, list[str]]
    accept: float = 0.95
    review: float = 0.5
    blocking: tuple[tuple[str, ...], ...] = (
        ("birth_date", "division6"),
        ("name_pinyin", "birth_year"),
        ("name_pinyin", "division6"),
    )
    training: Training = field(default_factory=Training)
    fixed: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def column(self, side: str, name: str) -> str | None:
        """The first column mapped to canonical ``name`` on ``side`` ("left"/"right")."""
        cols = (self.left if side == "left" else self.right).get(name) or []
        return cols[0] if cols else None

    def compared(self) -> list[str]:
        """Comparisons both sides can take part in, in a fixed order."""
        both = {f for f in FIELDS if self.left.get(f) and self.right.get(f)}
        return [c for c in COMPARISON_LEVELS if c in both]

    def with_ids(self, left_id: str | None, right_id: str | None) -> LinkConfig:
        """A copy whose ``id`` columns are overridden (the CLI's ``--left-id/--right-id``)."""
        left = dict(self.left) | ({"id": [left_id]} if left_id else {})
        right = dict(self.right) | ({"id": [right_id]} if right_id else {})
        return LinkConfig(
            left, right, self.accept, self.review, self.blocking, self.training, self.fixed
        )


def load_config(path: Path | str | None = None) -> LinkConfig:
    """Read and validate a YAML config; ``None`` reads ``default.yaml``."""
    import yaml

    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        doc = yaml.safe_load(source.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise LinkConfigError(
            "$", f"无法读取文件 {source}", f"cannot read {source}: {exc}"
        ) from exc
    except yaml.YAMLError as exc:
        raise LinkConfigError("$", f"YAML 格式错误：{exc}", f"invalid YAML: {exc}") from exc
    return parse_config(doc if doc is not None else {})


def parse_config(doc: Any) -> LinkConfig:
    """Validate a parsed config document and return a :class:`LinkConfig`."""
    _expect(doc, dict, "$", "映射", "a mapping")
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise _unknown(unknown[0], sorted(_TOP))
    fields_doc = doc.get("fields") or {}
    _expect(fields_doc, dict, "fields", "映射", "a mapping")
    left = _fields(fields_doc.get("left"), "fields.left")
    right = _fields(fields_doc.get("right"), "fields.right")
    accept, review = _thresholds(doc.get("thresholds") or {})
    blocking = _blocking(doc.get("blocking"))
    training = _training(doc.get("training") or {})
    fixed = _fixed(doc.get("fixed") or {})
    config = LinkConfig(left, right, accept, review, blocking, training, fixed)
    _check_usable(config)
    return config


def _expect(value: Any, kind: type, key: str, zh: str, en: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise LinkConfigError(key, f"应为{zh}", f"expected {en}, got {value!r}")


def _unknown(key: str, allowed: list[str]) -> LinkConfigError:
    options = ", ".join(allowed)
    return LinkConfigError(
        key, f"未知配置项（可用：{options}）", f"unknown key (allowed: {options})"
    )


def _fields(doc: Any, key: str) -> dict[str, list[str]]:
    if doc is None:
        raise LinkConfigError(key, "缺少字段映射", "the field mapping is missing")
    _expect(doc, dict, key, "映射", "a mapping")
    out: dict[str, list[str]] = {}
    for name, value in doc.items():
        if name not in FIELDS:
            raise _unknown(f"{key}.{name}", list(FIELDS))
        if value is None:
            continue
        cols = value if isinstance(value, list) else [value]
        limit = 2 if name == "division" else 1
        if not cols or len(cols) > limit or not all(isinstance(c, str) and c for c in cols):
            raise LinkConfigError(
                f"{key}.{name}",
                f"应为列名（最多 {limit} 个）",
                f"expected a column name (at most {limit}), got {value!r}",
            )
        out[name] = cols
    return out


def _probability(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise LinkConfigError(
            key, "应为 0 到 1 之间的数", f"expected a number in (0, 1], got {value!r}"
        )
    return float(value)


def _thresholds(doc: Any) -> tuple[float, float]:
    _expect(doc, dict, "thresholds", "映射", "a mapping")
    unknown = sorted(set(doc) - {"accept", "review"})
    if unknown:
        raise _unknown(f"thresholds.{unknown[0]}", ["accept", "review"])
    accept = _probability(doc.get("accept", 0.95), "thresholds.accept")
    review = _probability(doc.get("review", 0.5), "thresholds.review")
    if review > accept:
        raise LinkConfigError(
            "thresholds.review",
            f"复核阈值 {review} 不能高于接受阈值 {accept}",
            f"the review threshold {review} is above the accept threshold {accept}",
        )
    return accept, review


def _blocking(doc: Any) -> tuple[tuple[str, ...], ...]:
    if doc is None:
        return LinkConfig.blocking
    _expect(doc, list, "blocking", "列表", "a list of rules")
    if not doc:
        raise LinkConfigError("blocking", "至少需要一条分块规则", "at least one rule is needed")
    rules = []
    for i, rule in enumerate(doc):
        keys = rule if isinstance(rule, list) else [rule]
        for key in keys:
            if key not in BLOCKING_KEYS:
                raise LinkConfigError(
                    f"blocking[{i}]",
                    f"未知分块键 {key!r}（可用：{', '.join(BLOCKING_KEYS)}）",
                    f"unknown blocking key {key!r} (allowed: {', '.join(BLOCKING_KEYS)})",
                )
        rules.append(tuple(keys))
    return tuple(rules)


def _training(doc: Any) -> Training:
    _expect(doc, dict, "training", "映射", "a mapping")
    allowed = list(Training.__dataclass_fields__)
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        raise _unknown(f"training.{unknown[0]}", allowed)
    for key in ("seed", "u_max_pairs", "labelled_pairs"):
        if key in doc and (
            isinstance(doc[key], bool) or not isinstance(doc[key], int) or doc[key] < 0
        ):
            raise LinkConfigError(
                f"training.{key}",
                "应为非负整数",
                f"expected a non-negative integer, got {doc[key]!r}",
            )
    if "m_floor" in doc:
        _probability(doc["m_floor"], "training.m_floor")
    if doc.get("prior") is not None:
        _probability(doc["prior"], "training.prior")
    if doc.get("m_method", "labels") not in ("labels", "em"):
        raise LinkConfigError(
            "training.m_method",
            "应为 labels 或 em",
            f"expected labels or em, got {doc['m_method']!r}",
        )
    return Training(**doc)


def _fixed(doc: Any) -> dict[str, dict[str, list[float]]]:
    _expect(doc, dict, "fixed", "映射", "a mapping")
    out: dict[str, dict[str, list[float]]] = {}
    for name, spec in doc.items():
        if name not in COMPARISON_LEVELS:
            raise _unknown(f"fixed.{name}", list(COMPARISON_LEVELS))
        _expect(spec, dict, f"fixed.{name}", "映射", "a mapping of m/u lists")
        out[name] = {}
        for kind, values in spec.items():
            key = f"fixed.{name}.{kind}"
            if kind not in ("m", "u"):
                raise _unknown(key, ["m", "u"])
            n = COMPARISON_LEVELS[name]
            if not isinstance(values, list) or len(values) != n:
                raise LinkConfigError(
                    key, f"应为 {n} 个概率组成的列表", f"expected a list of {n} probabilities"
                )
            out[name][kind] = [_probability(v, f"{key}[{i}]") for i, v in enumerate(values)]
    return out


def _check_usable(config: LinkConfig) -> None:
    """Something must be compared, and every blocking key must exist on both sides."""
    if not config.compared():
        raise LinkConfigError(
            "fields", "两侧没有共同映射的字段", "no canonical field is mapped on both sides"
        )
    source = {
        "id_number": "id_number",
        "name": "name",
        "name_pinyin": "name",
        "name_initials": "name",
        "sex": "sex",
    }
    for i, rule in enumerate(config.blocking):
        for key in rule:
            need = source.get(key) or ("birth_date" if key.startswith("birth") else "division")
            for side in ("left", "right"):
                if not config.column(side, need):
                    raise LinkConfigError(
                        f"blocking[{i}]",
                        f"分块键 {key} 需要 fields.{side}.{need}",
                        f"blocking key {key} needs fields.{side}.{need}",
                    )

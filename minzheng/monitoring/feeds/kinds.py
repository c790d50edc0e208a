"""The kinds of department feed, declared in YAML (``kinds/*.yaml``): adding one needs no code.

A declaration names its columns (Chinese header, English alias, type), the column that
identifies a record at its source (``key``) and the one that dates it (``date``). It is
checked when loaded, so a mistake names its file and field instead of failing mid-import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from minzheng.registry.importing.columns import Column

KINDS_DIR = Path(__file__).with_name("kinds")
TYPES = frozenset(
    (
        "id_number",
        "text",
        "date",
        "month",
        "money",
        "integer",
        "decimal",
        "division",
        "sex",
        "choice",
    )
)
# Every kind carries these, so a record with a missing or wrong ID number can still be linked.
IDENTITY = {
    "id_number": ("id_number",),
    "name": ("text",),
    "sex": ("sex",),
    "birth_date": ("date",),
    "division": ("division",),
}
TEXT_TYPES = frozenset(("id_number", "text", "division"))  # formatted as text in the template
HELP = {
    "id_number": "18 位（旧 15 位自动升位）；本列须设置为文本格式。号码缺失或有误的记录仍会保留，用于比对",
    "text": "",
    "date": "接受 2024-07-01、2024年7月1日、2024/7/1、20240701",
    "month": "年月，如 2024-07、2024年7月、202407",
    "money": "元，最多两位小数",
    "integer": "整数",
    "decimal": "数字",
    "division": "6、9 或 12 位行政区划代码；已撤销的代码会对应到现行区划",
    "sex": "男 / 女（或 1 / 2）",
    "choice": "",
}


class KindError(ValueError):
    """A declaration is malformed or a kind is unknown; the message says where and why."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


@dataclass(frozen=True)
class FeedColumn:
    name: str  # the English alias and the key in the record's payload
    zh: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()

    def as_column(self) -> Column:
        """The registry importer's column (header matching and the template use it)."""
        choices = self.values or (("男", "女") if self.type == "sex" else ())
        hint = HELP[self.type] or ("可填：" + "、".join(self.values) if self.values else "")
        return Column(
            self.name,
            self.zh,
            self.name,
            self.required,
            hint,
            choices=choices,
            text=self.type in TEXT_TYPES,
        )


@dataclass(frozen=True)
class FeedKind:
    kind: str
    title: str
    title_en: str
    department: str
    key: str
    date: str | None
    columns: tuple[FeedColumn, ...]

    def column(self, name: str) -> FeedColumn:
        return next(c for c in self.columns if c.name == name)

    @property
    def import_columns(self) -> tuple[Column, ...]:
        return tuple(c.as_column() for c in self.columns)

    @property
    def payload_columns(self) -> tuple[FeedColumn, ...]:
        """Columns kept in the record's payload: all but identity, key and date."""
        skip = {*IDENTITY, self.key, self.date}
        return tuple(c for c in self.columns if c.name not in skip)


def _fail(path: Path, field: str, zh: str, en: str) -> KindError:
    return KindError(f"{path.name}：{field} {zh}", f"{path.name}: {field} {en}")


def _column(path: Path, i: int, raw: Any) -> FeedColumn:
    where = f"columns[{i}]"
    if not isinstance(raw, dict):
        raise _fail(path, where, "应为映射（name、zh、type）", "must be a mapping (name, zh, type)")
    for field in ("name", "zh", "type"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise _fail(path, f"{where}.{field}", "缺失或不是文本", "is missing or not text")
    if raw["type"] not in TYPES:
        raise _fail(
            path,
            f"{where}.type",
            f"“{raw['type']}”无效，可用：{'、'.join(sorted(TYPES))}",
            f"'{raw['type']}' is not one of {', '.join(sorted(TYPES))}",
        )
    values = raw.get("values") or ()
    if raw["type"] == "choice" and (
        not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values)
    ):
        raise _fail(
            path, f"{where}.values", "选项列须列出文本选项", "a choice needs a list of text values"
        )
    unknown = set(raw) - {"name", "zh", "type", "required", "values"}
    if unknown:
        raise _fail(path, where, f"未知字段 {sorted(unknown)}", f"unknown fields {sorted(unknown)}")
    return FeedColumn(raw["name"], raw["zh"], raw["type"], bool(raw.get("required")), tuple(values))


def _check_columns(path: Path, columns: tuple[FeedColumn, ...]) -> None:
    names = [c.name for c in columns]
    headers = [c.zh for c in columns]
    for label, seen in (("name", names), ("zh", headers)):
        dup = {x for x in seen if seen.count(x) > 1}
        if dup:
            raise _fail(
                path, f"columns.{label}", f"重复：{sorted(dup)}", f"repeated: {sorted(dup)}"
            )
    for name, types in IDENTITY.items():
        col = next((c for c in columns if c.name == name), None)
        if col is None or col.type not in types:
            raise _fail(
                path,
                "columns",
                f"缺少身份列 {name}（类型 {types[0]}）",
                f"lacks the identity column {name} of type {types[0]}",
            )


def parse_kind(path: Path, data: Any) -> FeedKind:
    """A :class:`FeedKind` from the YAML ``data`` of ``path``, or :class:`KindError`."""
    if not isinstance(data, dict):
        raise _fail(path, "", "应为映射", "must be a mapping")
    for field in ("kind", "title", "title_en", "department", "key"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise _fail(path, field, "缺失或不是文本", "is missing or not text")
    if data["kind"] != path.stem:
        raise _fail(path, "kind", "须与文件名相同", "must equal the file name")
    raw_cols = data.get("columns")
    if not isinstance(raw_cols, list) or not raw_cols:
        raise _fail(path, "columns", "缺失或为空", "is missing or empty")
    columns = tuple(_column(path, i, c) for i, c in enumerate(raw_cols))
    _check_columns(path, columns)
    names = {c.name for c in columns}
    for field in ("key", "date"):
        if data.get(field) is not None and data[field] not in names:
            raise _fail(
                path, field, f"“{data[field]}”不是已声明的列", f"'{data[field]}' is no column"
            )
    date = data.get("date")
    if date is not None and next(c for c in columns if c.name == date).type not in (
        "date",
        "month",
    ):
        raise _fail(path, "date", "须为 date 或 month 类型的列", "must name a date or month column")
    # A row without its key cannot be told apart from the others: the key is always required.
    columns = tuple(
        FeedColumn(c.name, c.zh, c.type, True, c.values) if c.name == data["key"] else c
        for c in columns
    )
    return FeedKind(
        data["kind"],
        data["title"],
        data["title_en"],
        data["department"],
        data["key"],
        date,
        columns,
    )


def load_kind(path: Path) -> FeedKind:
    """Read and check one declaration file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(path, "", f"不是有效的 YAML：{exc}", f"is not valid YAML: {exc}") from exc
    return parse_kind(path, data)


def load_kinds(directory: Path = KINDS_DIR) -> dict[str, FeedKind]:
    """Every declaration in ``directory`` by kind name."""
    return {k.kind: k for k in (load_kind(p) for p in sorted(directory.glob("*.yaml")))}


@cache
def _registry() -> dict[str, FeedKind]:
    return load_kinds()


def kinds() -> list[FeedKind]:
    """Every declared kind, by name."""
    return list(_registry().values())


def kind(name: str) -> FeedKind:
    """The kind called ``name``; :class:`KindError` listing the known ones otherwise."""
    found = _registry().get(name)
    if found is None:
        known = ", ".join(sorted(_registry()))
        raise KindError(
            f"未知的数据种类“{name}”，可用：{known}", f"unknown feed kind '{name}'; known: {known}"
        )
    return found

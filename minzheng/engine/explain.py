"""Explanations: templates filled with the numbers of each result row, vectorised in Arrow.

Batch write-back and online evaluation call the same functions (online on a one-row
table), so the sentence a caseworker reads online is the one stored by the batch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from minzheng.engine.rules.schema import Ruleset, Template

if TYPE_CHECKING:
    import pyarrow as pa

NULL_TEXT = "—"


def condition_texts(table: pa.Table, rs: Ruleset) -> dict[str, pa.Array]:
    """Condition name → the sentence for each row (``explain`` if true, else ``explain_false``)."""
    import pyarrow.compute as pc

    out: dict[str, pa.Array] = {}
    for name, cond in rs.conditions.items():
        if cond.explain is None and cond.explain_false is None:
            continue
        yes = _fill(table, cond.explain, rs)
        no = _fill(table, cond.explain_false, rs)
        result = pc.fill_null(table.column(name), _FALSE())
        out[name] = pc.if_else(result, *(_s(t) if isinstance(t, str) else t for t in (yes, no)))
    return out


def json_column(table: pa.Table, rs: Ruleset, values: list[str]) -> pa.Array:
    """One JSON object per row: outputs, each condition with its sentence, quoted values."""
    import pyarrow as pa

    texts = condition_texts(table, rs)
    parts: list[Any] = ["{"]
    if "flag" in table.column_names:
        parts += [
            '"flag":',
            _json(table.column("flag")),
            ',"amount_fen":',
            _json(table.column("amount_fen")),
        ]
        parts += [',"severity":', _json(table.column("severity")), ","]
        if rs.outputs is not None and rs.outputs.explain is not None:
            import pyarrow.compute as pc

            text = _fill(table, rs.outputs.explain, rs)
            text = _s(text) if isinstance(text, str) else text
            flagged = pc.fill_null(table.column("flag"), _FALSE())
            parts += ['"amount_text":', _json(pc.if_else(flagged, text, _NULL_TEXT())), ","]
    parts.append('"conditions":[')
    for i, name in enumerate(rs.conditions):
        parts += [
            ("," if i else "") + '{"name":' + _quote(name) + ',"result":',
            _json(table.column(name)),
        ]
        if name in texts:
            parts += [',"text":', _json(texts[name])]
        parts.append("}")
    parts.append('],"values":{')
    for i, name in enumerate(values):
        parts += [("," if i else "") + _quote(name) + ":", _json(table.column(name))]
    parts.append("}}")
    merged = _join(parts)
    return (
        merged if not isinstance(merged, str) else pa.array([merged] * table.num_rows, pa.string())
    )


def _fill(table: pa.Table, template: Template | None, rs: Ruleset) -> Any:
    if template is None:
        return ""
    parts: list[Any] = []
    for part in template.parts:
        if isinstance(part, str):
            parts.append(part)
        else:
            name, fmt = part
            parts.append(_format(table.column(name), _is_money(name, rs), fmt))
    return _join(parts)


def _NULL_TEXT() -> Any:
    import pyarrow as pa

    return pa.scalar(None, pa.string())


def _FALSE() -> Any:
    import pyarrow as pa

    return pa.scalar(False, pa.bool_())


def _is_money(name: str, rs: Ruleset) -> bool:
    if name in rs.parameters:
        return rs.parameters[name].type == "money"
    if name in rs.facts:
        return rs.facts[name].type == "money"
    return name.endswith("_fen")


def _format(col: Any, money: bool, fmt: str) -> Any:
    """A column as display text: money as yuan with two decimals unless ``|fen``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(col.type):
        text = pc.if_else(col, _s("是"), _s("否"))
    elif pa.types.is_integer(col.type) and money and fmt != "fen":
        text = yuan(col)
    else:
        text = pc.cast(col, pa.string())
    return pc.fill_null(text, _s(NULL_TEXT))


def yuan(fen: Any) -> Any:
    """Integer fen → "1234.56" strings, exactly (negative amounts keep their sign)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pc.abs(fen)
    hundred = pa.scalar(100, pa.int64())
    units = pc.divide(whole, hundred)
    cents = pc.subtract(whole, pc.multiply(units, hundred))
    sign = pc.if_else(pc.less(fen, pa.scalar(0, pa.int64())), _s("-"), _s(""))
    padded = pc.utf8_lpad(pc.cast(cents, pa.string()), 2, "0")
    return pc.binary_join_element_wise(sign, pc.cast(units, pa.string()), _s("."), padded, _s(""))


def _join(parts: list[Any]) -> Any:
    import pyarrow.compute as pc

    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    return pc.binary_join_element_wise(*(_s(p) if isinstance(p, str) else p for p in parts), _s(""))


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _json(col: Any) -> Any:
    """A column as JSON literals (null → null), strings escaped."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(col.type):
        lit = pc.if_else(col, _s("true"), _s("false"))
    elif pa.types.is_integer(col.type):
        lit = pc.cast(col, pa.string())
    else:
        s = pc.cast(col, pa.string())
        for raw, escaped in (
            ("\\", "\\\\"),
            ('"', '\\"'),
            ("\n", "\\n"),
            ("\r", "\\r"),
            ("\t", "\\t"),
        ):
            s = pc.replace_substring(s, raw, escaped)
        s = pc.replace_substring_regex(s, "[\\x00-\\x1f]", "")
        lit = pc.binary_join_element_wise(_s('"'), s, _s('"'), _s(""))
    return pc.fill_null(lit, _s("null"))


@lru_cache(maxsize=1024)
def _s(text: str) -> Any:
    """A string scalar (pyarrow converts bare Python strings slowly, per call)."""
    import pyarrow as pa

    return pa.scalar(text, pa.string())

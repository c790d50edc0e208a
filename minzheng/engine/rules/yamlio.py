"""YAML with line numbers: mappings and lists remember where each entry was written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from minzheng.engine.errors import DefinitionError, DefinitionErrors, Loc


class LDict(dict):
    """A mapping that knows its file, its own line and the line of each key."""

    file: str = "?"
    line: int = 0
    lines: dict[Any, int]
    key_files: dict[Any, str] = {}  # keys merged from other files (replaced, never mutated)

    def loc(self, key: Any = None) -> Loc:
        """Where ``key`` (or the mapping itself) was written."""
        if key is None:
            return Loc(self.file, self.line)
        return Loc(self.key_files.get(key, self.file), self.lines.get(key, self.line))


class LList(list):
    """A list that knows its file, its own line and the line of each item."""

    file: str = "?"
    line: int = 0
    lines: list[int]

    def loc(self, index: int | None = None) -> Loc:
        return Loc(self.file, self.lines[index] if index is not None else self.line)


def _loader(file: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LDict:  # type: ignore[override,unused-ignore]
            self.flatten_mapping(node)  # resolves "<<: *anchor" merges
            out = LDict()
            out.file, out.line, out.lines = file, node.start_mark.line + 1, {}
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in out:
                    raise DefinitionError(
                        Loc(file, key_node.start_mark.line + 1), f"duplicate key {key!r}"
                    )
                out[key] = self.construct_object(value_node, deep=True)
                # A value on its own line (a block) is reported at its key's line.
                out.lines[key] = key_node.start_mark.line + 1
            return out

        def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LList:  # type: ignore[override,unused-ignore]
            out = LList(self.construct_object(child, deep=True) for child in node.value)
            out.file, out.line = file, node.start_mark.line + 1
            out.lines = [child.start_mark.line + 1 for child in node.value]
            return out

    Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", Loader.construct_sequence)
    return Loader


def load_text(text: str, file: str) -> Any:
    """Parse one YAML document; syntax errors become a :class:`DefinitionErrors`."""
    try:
        return yaml.load(text, Loader=_loader(file))  # a SafeLoader subclass: no arbitrary objects
    except DefinitionError as err:
        raise DefinitionErrors([err]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise DefinitionErrors(
            [DefinitionError(Loc(file, line), f"YAML syntax: {err.problem or err}")]
        ) from None


def load_file(path: Path | str) -> Any:
    """Parse a YAML file (UTF-8, with or without BOM)."""
    p = Path(path)
    return load_text(p.read_text(encoding="utf-8-sig"), str(p))

"""The rule and indicator engine: one language, one compiler, one runner.

Definitions (YAML rule sets) compile to a pipeline of SQL steps in DuckDB's dialect;
sqlglot transpiles them for Spark; a :class:`~minzheng.engine.backends.base.Runner`
executes them over Arrow snapshots of the registry. Importing this package is cheap:
DuckDB, pyarrow and PySpark are imported by the functions that use them.

Typical use::

    from minzheng import engine
    rs = engine.load_ruleset("minzheng/engine/rulesets/dibao.yaml")
    snap = engine.snapshot_take(on=day)                  # registry → Arrow
    params = engine.load_parameters("…/parameters.yaml")
    result = engine.run(rs, {**snap.tables, "parameter": params}, as_of=day)
    engine.results_write(result)                         # idempotent write-back
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minzheng.engine.errors import DefinitionError, DefinitionErrors, EngineError

if TYPE_CHECKING:  # pragma: no cover - names for type checkers only
    from minzheng.engine.api import Result, run
    from minzheng.engine.fixtures import run_examples
    from minzheng.engine.online import Online
    from minzheng.engine.params import load_parameters
    from minzheng.engine.rules.loader import load_ruleset
    from minzheng.engine.snapshot import Snapshot, snapshot_take
    from minzheng.engine.writeback import results_write

# Public name → module that defines it (imported on first attribute access).
_LAZY = {
    "run": "minzheng.engine.api",
    "Result": "minzheng.engine.api",
    "load_ruleset": "minzheng.engine.rules.loader",
    "load_parameters": "minzheng.engine.params",
    "Online": "minzheng.engine.online",
    "Snapshot": "minzheng.engine.snapshot",
    "snapshot_take": "minzheng.engine.snapshot",
    "results_write": "minzheng.engine.writeback",
    "run_examples": "minzheng.engine.fixtures",
}

__all__ = [
    "DefinitionError",
    "DefinitionErrors",
    "EngineError",
    "Online",
    "Result",
    "Snapshot",
    "load_parameters",
    "load_ruleset",
    "results_write",
    "run",
    "run_examples",
    "snapshot_take",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'minzheng.engine' has no attribute {name!r}")

"""Importing the engine is cheap, and the DuckDB path never loads PySpark."""

from __future__ import annotations

import subprocess
import sys

from .conftest import RULESETS

HEAVY = ("duckdb", "pyarrow", "pyspark", "sqlglot")


def loaded_after(code: str) -> list[str]:
    probe = f"import sys; {code}; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return eval(out.stdout.strip())  # a list literal printed by the probe


def test_import_engine_stays_light():
    assert loaded_after("import minzheng.engine") == []


def test_a_duckdb_run_never_imports_pyspark():
    code = (
        "import datetime as dt; from minzheng import engine; "
        f"rs = engine.load_ruleset({str(RULESETS / 'elderly.yaml')!r}); "
        "engine.run_examples(rs)"
    )
    assert "pyspark" not in loaded_after(code)

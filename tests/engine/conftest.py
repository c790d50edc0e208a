"""Engine fixtures: every engine test runs on DuckDB and on Spark (local mode, loopback).

The ``backend`` fixture parametrises a test over both; the Spark case is marked
``spark`` and skips cleanly when PySpark or Java is missing. One SparkSession
serves the whole test session (it takes a few seconds to start).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

RULESETS = Path(__file__).resolve().parents[2] / "minzheng" / "engine" / "rulesets"
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="session")
def spark_session():  # type: ignore[no-untyped-def]
    from minzheng.engine.backends.spark import available, local_session

    reason = available()
    if reason:
        pytest.skip(reason)
    return local_session(cores=2, shuffle_partitions=2)


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request):  # type: ignore[no-untyped-def]
    return request.param


@pytest.fixture
def runner(backend, request):  # type: ignore[no-untyped-def]
    """A runner for ``backend`` (Spark's shares the session-wide SparkSession)."""
    from minzheng.engine.backends import runner_for

    options = {"spark": request.getfixturevalue("spark_session")} if backend == "spark" else {}
    r = runner_for(backend, **options)
    yield r
    r.close()


def assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    """Two results (e.g. Spark's and DuckDB's) hold identical rows and indicator rows."""
    assert a.table.schema.equals(b.table.schema)
    assert a.table.sort_by("subject_sk").to_pylist() == b.table.sort_by("subject_sk").to_pylist()
    assert set(a.indicators) == set(b.indicators)
    for name, table in a.indicators.items():
        keys = [(c, "ascending") for c in table.column_names]
        assert table.sort_by(keys).equals(b.indicators[name].sort_by(keys)), name


@pytest.fixture(scope="session")
def reference(rulesets, parameters, population):  # type: ignore[no-untyped-def]
    """DuckDB's results on the population: what every other backend must reproduce."""
    from minzheng.engine import run

    inputs = {**population, "parameter": parameters}
    return {name: run(rs, inputs, as_of=AS_OF) for name, rs in rulesets.items()}


@pytest.fixture(scope="session")
def rulesets():  # type: ignore[no-untyped-def]
    """The sample rule sets, loaded once: name → Ruleset."""
    from minzheng.engine.rules.loader import load_ruleset

    return {
        p.stem: load_ruleset(p) for p in sorted(RULESETS.glob("*.yaml")) if p.stem != "parameters"
    }


@pytest.fixture(scope="session")
def parameters(rulesets):  # type: ignore[no-untyped-def]
    from minzheng.engine.params import load_parameters

    return load_parameters(RULESETS / "parameters.yaml", rulesets.values())


@pytest.fixture(scope="session")
def population():  # type: ignore[no-untyped-def]
    """Snapshot-shaped tables of 6,000 synthetic persons plus 3 feed rows each (no DB)."""
    from minzheng.engine.synthetic import feed, population_tables
    from minzheng.synth import generate

    tables = population_tables(
        generate(persons=6_000, counties=["440106", "440305"], seed=5, as_of=AS_OF)
    )
    tables["medical"] = feed(tables["person"], as_of=AS_OF, seed=5)
    return tables

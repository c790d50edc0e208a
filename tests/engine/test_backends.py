"""Batch runs over a synthetic population: right answers (against plain Python), on both backends."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pytest

from minzheng.engine import run
from minzheng.engine.backends.duckdb import DuckDBRunner
from minzheng.engine.compiler import compile_ruleset
from minzheng.engine.errors import EngineError, ParameterGapError
from minzheng.engine.rules.schema import Window

from .conftest import AS_OF, assert_same


def standard(parameters: pa.Table, name: str, code: str) -> int | None:
    """The parameter value for a division code on AS_OF: longest prefix, valid on the day."""
    matches = [
        p
        for p in parameters.to_pylist()
        if p["name"] == name
        and code.startswith(p["division_prefix"])
        and p["valid_from"] <= AS_OF
        and (p["valid_to"] is None or p["valid_to"] > AS_OF)
    ]
    best = max(matches, key=lambda p: len(p["division_prefix"]), default=None)
    return best["value"] if best else None


def household_sums(population) -> tuple[dict[int, int], dict[int, int]]:  # type: ignore[no-untyped-def]
    members: dict[int, int] = defaultdict(int)
    income: dict[int, int] = defaultdict(int)
    home = {}
    for p in population["person"].to_pylist():
        members[p["household_sk"]] += 1
        home[p["person_sk"]] = p["household_sk"]
    for i in population["income"].to_pylist():
        income[home[i["person_sk"]]] += i["monthly_fen"]
    return members, income


def test_dibao_agrees_with_plain_python(rulesets, parameters, population, runner, reference):
    result = run(
        rulesets["dibao"], {**population, "parameter": parameters}, as_of=AS_OF, runner=runner
    )
    assert_same(result, reference["dibao"])
    members, income = household_sums(population)
    codes = dict(
        zip(
            population["division"]["division_sk"].to_pylist(),
            population["division"]["code"].to_pylist(),
            strict=True,
        )
    )
    rows = {r["subject_sk"]: r for r in result.table.to_pylist()}
    assert len(rows) == population["household"].num_rows
    flagged = 0
    for h in population["household"].to_pylist():
        std = standard(parameters, "dibao_standard_fen", codes[h["hukou_division_sk"]])
        got = rows[h["household_sk"]]
        below = income[h["household_sk"]] < std * members[h["household_sk"]]
        assert (got["members"], got["household_income_fen"], got["dibao_standard_fen"]) == (
            members[h["household_sk"]],
            income[h["household_sk"]],
            std,
        )
        assert got["flag"] is below
        assert got["amount_fen"] == (
            std * members[h["household_sk"]] - income[h["household_sk"]] if below else 0
        )
        flagged += below
    assert 0 < flagged < len(rows)  # the population exercises both outcomes


def test_feed_window_agrees_with_plain_python(rulesets, parameters, population, runner, reference):
    result = run(
        rulesets["medical_burden"],
        {**population, "parameter": parameters},
        as_of=AS_OF,
        runner=runner,
    )
    assert_same(result, reference["medical_burden"])
    start = Window(12, "months").start(AS_OF)
    home = dict(
        zip(
            population["person"]["person_sk"].to_pylist(),
            population["person"]["household_sk"].to_pylist(),
            strict=True,
        )
    )
    paid: dict[int, int] = defaultdict(int)
    for f in population["medical"].to_pylist():
        if start < f["settled_on"] <= AS_OF and f["kind"] == "self_pay":
            paid[home[f["person_sk"]]] += f["amount_fen"]
    rows = result.table.to_pylist()
    assert all(r["medical_12m_fen"] == paid[r["subject_sk"]] for r in rows)
    assert all(
        r["flag"] is (r["medical_12m_fen"] * 100 > r["burden_share_pct"] * r["annual_income_fen"])
        for r in rows
    )
    assert {r["severity"] for r in rows} == {None, "medium", "high"}


def test_materialised_steps_are_cached_until_an_input_changes(
    rulesets, parameters, population, runner
):
    steps: list[str] = []
    runner.progress = lambda step, seconds: steps.append(step)
    inputs = {**population, "parameter": parameters}
    pipeline = compile_ruleset(rulesets["dibao"], AS_OF)
    runner.run(pipeline, inputs)
    runner.run(pipeline, {"person": population["person"]})  # parameters unchanged: reuse
    runner.run(pipeline, {"parameter": parameters})  # re-registered: rebuild
    assert steps == ["params", "result", "result", "params", "result"]


def test_missing_inputs_and_backend_errors_name_the_step(rulesets, population, runner):
    pipeline = compile_ruleset(rulesets["elderly"], AS_OF)
    with pytest.raises(EngineError, match=r"missing input table\(s\): person"):
        runner.run(pipeline, {})
    broken = population["person"].drop_columns(["birth_date"])
    with pytest.raises(EngineError) as info:
        runner.run(pipeline, {"person": broken})
    assert info.value.step == "result" and "birth_date" in str(info.value)
    assert info.value.sql.startswith("WITH")


def test_a_parameter_gap_is_an_error_with_a_division(rulesets, parameters, population, runner):
    import pyarrow.compute as pc

    only_4403 = parameters.filter(pc.equal(parameters["division_prefix"], "4403"))
    with pytest.raises(
        ParameterGapError,
        match=r"missing parameter: 'dibao_standard_fen' has no value valid on 2024-06-30 for \d+ subject\(s\), e.g. division 440106",
    ):
        run(rulesets["dibao"], {**population, "parameter": only_4403}, as_of=AS_OF, runner=runner)


def test_duckdb_runner_takes_a_memory_cap():
    r = DuckDBRunner(memory_limit="1GB", threads=1)
    assert r.con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0] in (
        "1.0 GB",
        "953.6 MiB",
    )
    assert r.con.sql("SELECT current_setting('threads')").fetchall()[0][0] == 1
    r.close()


def test_inputs_may_be_parquet_files(rulesets, parameters, population, tmp_path, runner):
    import pyarrow.parquet as pq

    paths = {}
    for name, table in {**population, "parameter": parameters}.items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    from_files = run(rulesets["dibao"], paths, as_of=AS_OF, runner=runner)
    in_memory = run(rulesets["dibao"], {**population, "parameter": parameters}, as_of=AS_OF)
    assert from_files.table.sort_by("subject_sk").equals(in_memory.table.sort_by("subject_sk"))

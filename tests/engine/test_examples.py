"""Each rule file's given/expect examples pass on every backend, with identical rows."""

from __future__ import annotations

import pytest

from minzheng.engine.fixtures import run_examples

from .conftest import assert_same

NAMES = ["dibao", "medical_burden", "elderly"]


@pytest.mark.parametrize("name", NAMES)
def test_examples_pass(rulesets, runner, name):
    outcomes = run_examples(rulesets[name], runner=runner)
    assert outcomes
    assert [f for o in outcomes for f in o.failures] == []
    if runner.name != "duckdb":  # the same rows as the default backend, to the fen
        for mine, ref in zip(outcomes, run_examples(rulesets[name]), strict=True):
            assert_same(mine.result, ref.result)


def test_a_wrong_expectation_fails_with_file_and_line(rulesets):
    import copy

    rs = copy.deepcopy(rulesets["dibao"])
    rs.examples[0].expect[0]["amount_fen"] = 1
    (first, _) = run_examples(rs)
    assert len(first.failures) == 1
    assert first.failures[0].startswith(f"{rs.path}:93: example ")
    assert first.failures[0].endswith("household 1: amount_fen is 40000, expected 1")


@pytest.mark.parametrize("name", ["dibao", "medical_burden"])
def test_flagged_only_returns_exactly_the_flagged_rows(rulesets, runner, name):
    from minzheng.engine import run
    from minzheng.engine.errors import EngineError
    from minzheng.engine.fixtures import example_inputs

    rs = rulesets[name]
    ex = rs.examples[0]
    inputs = example_inputs(rs, ex)
    full = run(rs, inputs, as_of=ex.as_of, runner=runner, indicators=False)
    only = run(rs, inputs, as_of=ex.as_of, runner=runner, indicators=False, flagged_only=True)
    assert 0 < only.table.num_rows < full.table.num_rows
    key = [("subject_sk", "ascending")]
    assert only.table.sort_by(key).to_pylist() == full.flagged().sort_by(key).to_pylist()
    with pytest.raises(EngineError, match="indicators"):
        run(rs, inputs, as_of=ex.as_of, runner=runner, flagged_only=True)

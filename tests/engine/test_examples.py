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

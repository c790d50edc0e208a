"""The default warning rules: their given/expect examples (the rule test harness) pass on
DuckDB and on Spark with identical rows, and a rule file missing what a warning needs is
refused with the file named."""

from __future__ import annotations

import textwrap

import pytest

from minzheng.engine.fixtures import run_examples
from minzheng.monitoring.rules import RULES_DIR, RuleError, default_rules, load_rule
from tests.engine.conftest import assert_same, backend, runner, spark_session  # noqa: F401

RULES = sorted(default_rules())


def test_the_default_rule_set_covers_the_issue():
    assert set(RULES) == {
        "medical_burden",
        "death_in_assistance",
        "severe_disability",
        "main_earner_unemployed",
        "school_dropout",
        "house_destroyed",
        "new_asset_enrolled",
        "eligible_not_enrolled",
    }
    for rule in default_rules().values():
        assert rule.ruleset.examples, rule.name
        assert rule.feeds and rule.deadline_days > 0


@pytest.mark.parametrize("name", RULES)
def test_examples_pass_on_every_backend(runner, name):  # noqa: F811
    rs = default_rules()[name].ruleset
    outcomes = run_examples(rs, runner=runner)
    assert [f for o in outcomes for f in o.failures] == []
    flagged = sum(o.result.flagged().num_rows for o in outcomes)
    assert flagged >= 1, "an example must show the warning raised"
    if runner.name != "duckdb":
        for mine, ref in zip(outcomes, run_examples(rs), strict=True):
            assert_same(mine.result, ref.result)


def _write(tmp_path, meta: str) -> str:
    text = (RULES_DIR / "school_dropout.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("meta:")
    path = tmp_path / "school_dropout.yaml"
    (tmp_path / "common.yaml").write_text(
        (RULES_DIR / "common.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path.write_text(head + textwrap.dedent(meta), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("", "meta.warning is missing"),
        ("meta:\n  warning: {deadline_days: 0, action: a, action_en: a, title_en: t}\n",
         "deadline_days must be a positive"),
        ("meta:\n  warning: {deadline_days: 5, action_en: a, title_en: t}\n",
         "meta.warning.action is required"),
        ("meta:\n  warning: {deadline_days: 5, action: a, action_en: a, title_en: t, feeds: [x]}\n",
         "which are not inputs"),
    ],
)  # fmt: skip
def test_a_rule_without_what_a_warning_needs_is_refused(tmp_path, meta, message):
    path = _write(tmp_path, meta)
    with pytest.raises(RuleError, match=message) as info:
        load_rule(path)
    assert path in str(info.value)

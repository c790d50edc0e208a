"""The rule language: definitions load, and every mistake is reported with file and line."""

from __future__ import annotations

import textwrap

import pytest

from minzheng.engine.errors import DefinitionErrors
from minzheng.engine.params import load_parameters
from minzheng.engine.rules.loader import load_ruleset, parse_ruleset

HEADER = """\
ruleset: test_rule
version: "1"
subject: household
parameters:
  standard_fen: money
facts:
  members: {of: household, count: person}
  income_fen: {of: person, sum: income.monthly_fen}
  household_income_fen: {of: household, sum: person.income_fen}
"""


def errors_of(text: str, tmp_path) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "rule.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(DefinitionErrors) as info:
        load_ruleset(path)
    for err in info.value.errors:
        assert err.loc.file == str(path)
        assert str(err).startswith(f"{path}:{err.loc.line}: ")
    return [(e.loc.line, e.message) for e in info.value.errors]


def rule(conditions: str, outputs: str = "flag: ok") -> str:
    return HEADER + "conditions:\n" + conditions + "outputs:\n  " + outputs + "\n"


def test_the_sample_rule_sets_load(rulesets):
    assert set(rulesets) == {"dibao", "medical_burden", "elderly"}
    dibao = rulesets["dibao"]
    assert dibao.key == "dibao_income@2024.1"
    assert dibao.facts["members"].type == "integer"
    assert dibao.facts["household_income_fen"].type == "money"
    assert dibao.conditions["below_standard"].when.type == "boolean"
    assert len(dibao.sha256) == 64 and dibao.examples


def test_unknown_fact_points_at_its_line(tmp_path):
    found = errors_of(
        rule("  ok:\n    when: household_incme_fen < standard_fen * members\n"), tmp_path
    )
    assert found == [
        (
            12,
            "unknown name 'household_incme_fen' in condition 'ok': not a fact, parameter or "
            "column here; did you mean 'household_income_fen'?",
        )
    ]


def test_type_mismatch_is_reported_in_plain_words(tmp_path):
    ((line, message),) = errors_of(
        rule("  ok:\n    when: household_income_fen < members\n"), tmp_path
    )
    assert line == 12
    assert message == (
        "type mismatch in 'household_income_fen < members': 'household_income_fen' is money "
        "but 'members' is integer"
    )


def test_missing_parameter_is_an_unknown_name(tmp_path):
    ((line, message),) = errors_of(
        rule("  ok:\n    when: household_income_fen < dibao_fen\n"), tmp_path
    )
    assert line == 12 and "unknown name 'dibao_fen'" in message


def test_a_parameter_without_values_is_reported_at_its_declaration(tmp_path, rulesets):
    params = tmp_path / "params.yaml"
    params.write_text(
        "parameters:\n  - {name: burden_share_pct, division: '', value: 30, valid_from: 2024-01-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionErrors) as info:
        load_parameters(params, [rulesets["dibao"], rulesets["medical_burden"]])
    (err,) = info.value.errors
    assert err.loc.file.endswith("dibao.yaml") and err.loc.line == 10
    assert err.message == f"missing parameter: 'dibao_standard_fen' has no values in {params}"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("household_income_fen / members < standard_fen", "'/' is not allowed"),
        ("household_income_fen + members > 0", "cannot add money and an integer"),
        ("household_income_fen > 1.5", "decimal number 1.5 is not allowed"),
        ("sqrt(members) > 1", "function SQRT() is not allowed"),
        ("members > (select 1)", "sub-queries are not allowed"),
        ("members", "must be boolean, but 'members' is integer"),
        ("members > ", "cannot parse expression"),
        ("household_income_fen * standard_fen > 0", "cannot multiply money by money"),
        ("h.members > 0", "qualified name 'h.members' is not allowed"),
    ],
)
def test_expressions_are_checked(tmp_path, when, expected):
    ((line, message),) = errors_of(rule(f"  ok:\n    when: {when}\n"), tmp_path)
    assert line == 12 and expected in message


def test_structure_errors_carry_lines(tmp_path):
    text = HEADER + textwrap.dedent("""\
        conditions:
          ok:
            when: members > 0
            wehn: members > 1
          flag: {when: members > 0}
        outputs:
          flag: ok
          amount: 1
        """)
    found = errors_of(text, tmp_path)
    assert (
        13,
        "unknown key 'wehn' in condition 'ok' (expected one of: when, explain, explain_false, title)",
    ) in found
    assert (14, "'flag' is reserved (used by the result table); choose another name") in found
    assert (
        17,
        "unknown key 'amount' in outputs (expected one of: flag, amount_fen, severity, explain)",
    ) in found


def test_duplicate_keys_and_yaml_syntax(tmp_path):
    assert errors_of(HEADER + "facts:\n  x: {expr: 1}\n", tmp_path) == [
        (10, "duplicate key 'facts'")
    ]
    ((line, message),) = errors_of(HEADER + "conditions:\n  ok: [unclosed\n", tmp_path)
    assert line >= 11 and message.startswith("YAML syntax")


def test_cycles_windows_sources_and_templates(tmp_path):
    text = HEADER + "  a: {of: household, expr: b + 1}\n  b: {of: household, expr: a + 1}\n"
    ((line, message),) = errors_of(text, tmp_path)
    assert line == 10 and "cycle: a → b → a" in message
    text = HEADER + "  w: {of: household, sum: income.monthly_fen, window: 12 months}\n"
    assert "window needs a source with a date column" in errors_of(text, tmp_path)[0][1]
    text = HEADER + "  w: {of: household, sum: payroll.amount_fen}\n"
    assert "unknown source 'payroll'" in errors_of(text, tmp_path)[0][1]
    text = rule("  ok:\n    when: members > 0\n    explain: '{membrs} 人'\n")
    assert errors_of(text, tmp_path) == [
        (
            13,
            "unknown name 'membrs' in explanation: not a fact, parameter or column here; did you mean 'members'?",
        )
    ]


def test_names_cannot_hide_columns_or_each_other(tmp_path):
    text = HEADER.replace("  standard_fen: money", "  standard_fen: money\n  members: integer")
    found = errors_of(text, tmp_path)
    assert any("fact 'members' has the same name as a parameter" in m for _, m in found)
    text = HEADER + "  urban: {of: household, expr: members > 1}\n"
    assert "hides the registry column" in errors_of(text, tmp_path)[0][1]


def test_parameter_rows_are_checked(tmp_path, rulesets):
    params = tmp_path / "p.yaml"
    params.write_text(
        textwrap.dedent("""\
            parameters:
              - {name: dibao_standard_fen, division: "4401", value: 100000, valid_from: 2024-01-01}
              - {name: dibao_standard_fen, division: "4401", value: 110000, valid_from: 2024-03-01}
              - {name: dibao_standard_fen, division: "440", value: 1, valid_from: 2024-01-01}
              - {name: dibao_standard_fen, division: "44", value: 1.5, valid_from: 2024-01-01}
              - {name: no_such, division: "", value: 1, valid_from: 2024-01-01}
            """),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionErrors) as info:
        load_parameters(params, [rulesets["dibao"]])
    found = [(e.loc.line, e.message) for e in info.value.errors]
    assert (3, "'dibao_standard_fen' for division '4401' overlaps the row from 2024-01-01") in found
    assert (4, "division '440' must be a code prefix of 0, 2, 4, 6, 9 or 12 digits") in found
    assert (5, "value 1.5 must be a whole number (money in fen, shares in percent)") in found
    assert (6, "parameter 'no_such' is not declared by any rule set") in found


def test_parse_ruleset_from_text_names_the_file():
    with pytest.raises(DefinitionErrors, match=r"^memo\.yaml:1: missing required key 'version'"):
        parse_ruleset("ruleset: x\n", "memo.yaml")


def test_meta_is_carried_as_plain_data_and_must_be_a_mapping(tmp_path):
    path = tmp_path / "meta.yaml"
    text = rule("  ok: {when: members > 0}\n") + "meta:\n  deadline_days: 5\n  layers: [dibao]\n"
    path.write_text(text, encoding="utf-8")
    assert load_ruleset(path).meta == {"deadline_days": 5, "layers": ["dibao"]}
    bad = rule("  ok: {when: members > 0}\n") + "meta: [1, 2]\n"
    assert errors_of(bad, tmp_path) == [(bad.count("\n"), "meta: must be a mapping")]

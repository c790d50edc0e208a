"""The compiler is a pure function: definitions + date → named SQL steps, in one dialect."""

from __future__ import annotations

import datetime as dt

import sqlglot
from sqlglot import exp

from minzheng.engine.compiler import compile_ruleset, result_columns
from minzheng.engine.dialects import POSTGRES, SPARK
from minzheng.engine.indicators import add_indicators
from minzheng.engine.rules.schema import Window

from .conftest import AS_OF

# Every function the generated SQL may call: built-ins that DuckDB and Spark share.
BUILTINS = {
    "Cast",
    "Sum",
    "Count",
    "Max",
    "Min",
    "Coalesce",
    "Greatest",
    "Least",
    "Abs",
    "Substring",
    "RowNumber",
    "Length",
    "Year",
    "Month",
    "Day",
    "LogicalOr",
    "LogicalAnd",
    "Nullif",
    "Grouping",
    "Case",
    "If",
    "Filter",
    "Window",
    "Rollup",
}


def test_same_definition_and_date_give_the_same_sql(rulesets):
    a = compile_ruleset(rulesets["dibao"], AS_OF).text()
    b = compile_ruleset(rulesets["dibao"], AS_OF).text()
    assert a == b and "DATE '2024-06-30'" in a
    assert compile_ruleset(rulesets["dibao"], dt.date(2024, 7, 1)).text() != a


def test_only_what_is_needed_is_compiled(rulesets):
    dibao = compile_ruleset(rulesets["dibao"], AS_OF)
    assert "financial_assets_fen" not in dibao.text()  # declared, but nothing reads it
    assert dibao.inputs == {"household", "person", "income", "division", "parameter"}
    kept = compile_ruleset(rulesets["dibao"], AS_OF, keep=["financial_assets_fen"])
    assert "asset" in kept.inputs and "financial_assets_fen" in kept.text()
    elderly = compile_ruleset(rulesets["elderly"], AS_OF)
    assert elderly.inputs == {"person"} and "params" not in elderly.steps


def test_steps_compose_into_one_statement_per_output(rulesets):
    p = compile_ruleset(rulesets["medical_burden"], AS_OF)
    assert [s.name for s in p.materialised()] == ["params"]
    sql = p.query("result")
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = [c.alias for c in tree.find_all(exp.CTE)]
    assert ctes[:2] == ["h_base", "p_base"] and "h_src_medical_12m" in ctes and "conditions" in ctes
    assert "params" not in ctes  # materialised: read as a table
    assert "s.\"settled_on\" > DATE '2023-06-30'" in sql


def test_money_sums_stay_integer_and_division_is_guarded(rulesets):
    sql = compile_ruleset(rulesets["dibao"], AS_OF).query("result")
    assert 'CAST(SUM("s"."monthly_fen") AS BIGINT)' in sql
    assert '"household_income_fen" // NULLIF("members", 0)' in sql
    assert "DOUBLE" not in sql and "FLOAT" not in sql and "DECIMAL" not in sql


def test_generated_sql_calls_only_shared_builtins_and_transpiles(rulesets):
    for rs in rulesets.values():
        p = compile_ruleset(rs, AS_OF)
        add_indicators(p, rs, AS_OF)
        for name in [*p.outputs, *(s.name for s in p.materialised())]:
            sql = p.query(name)
            tree = sqlglot.parse_one(sql, read="duckdb")
            funcs = {
                type(f).__name__
                for f in tree.find_all(exp.Func)
                if not isinstance(f, exp.Connector)
            }
            assert funcs <= BUILTINS, (rs.name, name, funcs - BUILTINS)  # no UDF can sneak in
            spark = SPARK.translate(sql)
            assert "DIV" in spark or "//" not in sql
            POSTGRES.translate(sql)


def test_result_columns_are_declared_with_types(rulesets):
    cols = dict(result_columns(rulesets["dibao"]))
    assert cols["flag"] == "boolean" and cols["amount_fen"] == "money"
    assert cols["below_standard"] == "boolean" and cols["members"] == "integer"
    assert cols["dibao_standard_fen"] == "money"


def test_windows_end_on_the_date_and_clamp_month_ends():
    assert Window(12, "months").start(dt.date(2024, 6, 30)) == dt.date(2023, 6, 30)
    assert Window(1, "months").start(dt.date(2024, 3, 31)) == dt.date(2024, 2, 29)
    assert Window(90, "days").start(dt.date(2024, 3, 31)) == dt.date(2024, 1, 1)
    assert Window(24, "months").start(dt.date(2024, 2, 29)) == dt.date(2022, 2, 28)

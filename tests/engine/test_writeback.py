"""Results go back to the database in bulk, and a re-run replaces its rows, never duplicates."""

from __future__ import annotations

import dataclasses
import json

from django.db import connection

from minzheng.engine import results_write, run
from minzheng.engine.writeback import TABLE, results_table

from .conftest import AS_OF


def stored(where: str = "", params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT run_key, subject_id, flag, amount_fen, severity, explanation FROM {TABLE} {where} ORDER BY subject_id",
            list(params),
        )
        return cur.fetchall()


def test_a_rerun_replaces_its_rows(db, rulesets, parameters, population):
    result = run(rulesets["dibao"], {**population, "parameter": parameters}, as_of=AS_OF)
    n = result.table.num_rows
    assert results_write(result) == n
    first = stored()
    assert results_write(result) == n  # same run key: replaced
    assert stored() == first and len(first) == n
    key, sk, flag, amount, severity, doc = first[0]
    assert key == "dibao_income@2024.1:2024-06-30"
    row = next(r for r in result.table.to_pylist() if r["subject_sk"] == sk)
    assert (bool(flag), amount, severity) == (row["flag"], row["amount_fen"], row["severity"])
    assert json.loads(doc)["values"]["members"] == row["members"]


def test_other_runs_are_left_alone_and_flagged_only_is_smaller(
    db, rulesets, parameters, population
):
    inputs = {**population, "parameter": parameters}
    june = run(rulesets["dibao"], inputs, as_of=AS_OF)
    july = run(rulesets["dibao"], inputs, as_of=AS_OF.replace(month=7))
    results_write(june)
    flagged = results_write(july, only_flagged=True)
    assert 0 < flagged < july.table.num_rows
    assert len(stored("WHERE run_key = %s", (july.run_key,))) == flagged
    assert len(stored("WHERE run_key = %s", (june.run_key,))) == june.table.num_rows
    scoped = dataclasses.replace(july, scope="4401")
    assert scoped.run_key.endswith(":4401")


def test_the_rows_are_an_arrow_table_too(rulesets, parameters, population):
    result = run(rulesets["medical_burden"], {**population, "parameter": parameters}, as_of=AS_OF)
    rows = results_table(result, only_flagged=True)
    assert rows.num_rows == result.flagged().num_rows
    doc = json.loads(rows["explanation"][0].as_py())
    assert doc["flag"] is True and doc["conditions"][0]["name"] == "heavy_burden"
    assert "超过家庭年收入" in doc["conditions"][0]["text"]

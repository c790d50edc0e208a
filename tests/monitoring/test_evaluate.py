"""The committed synthetic province (tests/fixtures/monitoring_small: 2,000 persons, twelve
feeds with 5% missing and 1% corrupted ID numbers, typos, homophones and duplicates) loaded,
linked and monitored end to end, then graded against the generator's ground truth — the
truth comes from the events the generator planted, never from the rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from minzheng.monitoring.evaluate import evaluate, prf

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "monitoring_small"


@pytest.fixture
def province(db):  # type: ignore[no-untyped-def]
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.monitoring.feeds.importing import feed_import
    from minzheng.monitoring.feeds.kinds import kinds
    from minzheng.monitoring.layers import layers_load_csv
    from minzheng.registry.bulk import population_load

    truth = json.loads((FIXTURE / "truth.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(truth["as_of"])
    with acting(EVERYTHING):
        population_load(directory=FIXTURE, on=as_of)
        for k in kinds():
            feed_import(kind=k.kind, path=FIXTURE / "feeds" / f"{k.kind}.csv", actor=None)
        layers_load_csv(FIXTURE / "layers.csv", valid_from=as_of.replace(year=as_of.year - 1))
    return as_of


def test_prf_counts():
    assert prf(9, 1, 0) == {
        "precision": 0.9,
        "recall": 1.0,
        "f1": 0.9474,
        "tp": 9,
        "fp": 1,
        "fn": 0,
    }
    assert prf(0, 0, 0)["f1"] == 1.0 and prf(0, 3, 0)["precision"] == 0.0


def test_the_small_province_is_linked_and_warned_as_the_truth_says(province):
    from minzheng.accounts.rls import EVERYTHING, acting
    from minzheng.cli import main

    with acting(EVERYTHING):
        result = CliRunner().invoke(main, ["monitor", "run", "--as-of", province.isoformat()])
        assert result.exit_code == 0, result.output
        graded = evaluate(FIXTURE)
    assert graded["linkage"]["f1"] >= 0.99, graded["linkage"]
    warnings = graded["warnings"]
    assert warnings["precision"] >= 0.98 and warnings["recall"] >= 0.98, (
        warnings,
        graded["missed"],
        graded["wrong"],
    )
    assert set(graded["per_rule"]) >= {"medical_burden", "death_in_assistance", "house_destroyed"}
    assert graded["discoveries"]["recall"] == 1.0, graded["discoveries"]
    out = CliRunner().invoke(main, ["monitor", "evaluate", "--truth", str(FIXTURE)])
    assert out.exit_code == 0 and json.loads(out.output)["warnings"] == warnings

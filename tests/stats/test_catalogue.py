"""The catalogue: loads, covers every JBZH0001 section of DOMAIN §4 and the seed figures."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from minzheng.engine.fixtures import run_examples
from minzheng.engine.rules.loader import load_ruleset
from minzheng.stats.catalogue import UNITS, catalogue, code_version, rule_files

SEED = Path("/work/shared/data/seed-figures-2021.csv")
SECTIONS = (
    "expenditure",
    "divisions",
    "institutions",
    "assistance",
    "community",
    "disability",
    "children",
    "lottery_volunteers",
    "organisations",
    "grassroots",
    "marriage",
    "funeral",
)


def test_every_jbzh0001_section_has_indicators():
    cat = catalogue()
    for section in SECTIONS:
        assert any(i.section == section for i in cat.indicators.values()), section


def test_social_assistance_rows_of_the_form():
    cat = catalogue().indicators
    expected = {
        "SA01": ("万人", "stock"),
        "SA02": ("万户", "stock"),
        "SA03": ("元/人·月", "ratio"),
        "SA11": ("万人", "stock"),
        "SA13": ("元/人·年", "ratio"),
        "SA21": ("万人", "stock"),
        "SA22": ("万人", "stock"),
        "SA31": ("万人次", "flow"),
        "SA32": ("万人次", "flow"),
        "LV01": ("亿元", "flow"),
        "LV03": ("万人", "stock"),
        "MA01": ("万对", "flow"),
    }
    for code, (unit, kind) in expected.items():
        assert (cat[code].unit, cat[code].kind) == (unit, kind), code
    assert cat["SA03"].ratio == ("SA91", "SA01")
    assert not cat["SA01"].entered and cat["LV01"].entered
    assert cat["MN10"].dimensions == ("layer",)
    assert cat["SA01"].scale == 10_000 and UNITS["亿元"][1] == 100_000_000


@pytest.mark.skipif(not SEED.exists(), reason="shared seed figures not present")
def test_every_seed_figure_is_catalogued():
    seeds = {(i.zh, i.seed.get("value")): i for i in catalogue().indicators.values() if i.seed}
    with SEED.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ind = seeds[(row["indicator_zh"], row["value"])]
            assert (ind.unit, ind.kind, ind.seed["as_of"]) == (
                row["unit"],
                row["kind"],
                row["as_of"],
            )


def test_the_rule_sets_pass_their_examples():
    for path in rule_files():
        for outcome in run_examples(load_ruleset(path)):
            assert not outcome.failures, (path.name, outcome.failures)


def test_code_version_names_package_and_rules():
    version = code_version()
    assert version.startswith("0.") and "+" in version

"""Shared, module-cached populations (generated once per test session)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path

import pytest

from minzheng.synth import Population, generate

DATA = Path(__file__).resolve().parents[2] / "minzheng" / "divisions" / "data"
COUNTIES = ["440104", "440118"]  # 越秀区 (district), 增城区
AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="session")
def pop() -> Population:
    return generate(persons=20_000, counties=COUNTIES, seed=7, as_of=AS_OF)


@pytest.fixture(scope="session")
def province_pop() -> Population:
    return generate(persons=5_000, seed=11)


@pytest.fixture(scope="session")
def townships() -> dict[str, str]:
    """Township code → county code (6 digits), read independently of the generator."""
    with gzip.open(DATA / "townships.csv.gz", "rt", encoding="utf-8") as fh:
        return {r["code"]: r["parent_code"][:6] for r in csv.DictReader(fh)}

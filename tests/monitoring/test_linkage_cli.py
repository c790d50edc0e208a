"""``minzheng link LEFT RIGHT --config --out``: CSV and Parquet in, pairs CSV out, no database."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from minzheng.cli import main
from minzheng.monitoring.linkage.synthetic import feed_rows, right_table

TODAY = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A small registry and a damaged feed, as CSV and Parquet, and a config."""
    from minzheng.synth import generate

    tmp = tmp_path_factory.mktemp("link")
    persons = generate(persons=400, counties=["440106"], seed=5, as_of=TODAY).persons
    feed = feed_rows(persons, rows_per_person=1.0, missing_id=0.1, seed=2)
    right = right_table(persons).rename_columns(
        ["pid", "sfzh", "xm", "xb", "csrq", "hj", "jz", "dz"]
    )
    paths = {"left.csv": tmp / "left.csv", "right.csv": tmp / "right.csv",
             "left.parquet": tmp / "left.parquet", "right.parquet": tmp / "right.parquet"}  # fmt: skip
    pacsv.write_csv(feed.rows, paths["left.csv"])
    pacsv.write_csv(right, paths["right.csv"])
    pq.write_table(feed.rows, paths["left.parquet"])
    pq.write_table(right, paths["right.parquet"])
    config = {
        "fields": {
            "left": {"id": "record_id", "id_number": "id_number", "name": "name", "sex": "sex",
                     "birth_date": "birth_date", "division": "division_code"},
            "right": {"id": "pid", "id_number": "sfzh", "name": "xm", "sex": "xb",
                      "birth_date": "csrq", "division": ["hj", "jz"], "address": "dz"},
        },
        "training": {"u_max_pairs": 100_000},
    }  # fmt: skip
    paths["config"] = tmp / "link.yaml"
    paths["config"].write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return {"paths": paths, "tmp": tmp, "missing": pc.sum(pc.is_null(feed.rows["id_number"]))}


def run(*args: Any) -> Any:
    return CliRunner().invoke(main, ["link", *map(str, args)])


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_link_writes_pairs_and_prints_a_summary(files: dict[str, Any], kind: str) -> None:
    p, out = files["paths"], files["tmp"] / f"pairs-{kind}.csv"
    result = run(p[f"left.{kind}"], p[f"right.{kind}"], "--config", p["config"], "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"pairs", "exact", "probabilistic", "review", "seconds"} <= set(summary)
    assert summary["probabilistic"] >= files["missing"].as_py() * 0.9
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["left_id", "right_id", "match_probability", "method"]
    assert len(rows) == summary["pairs"] >= 0.95 * summary["left_rows"]
    assert {r["method"] for r in rows} == {"exact", "probabilistic"}


def test_csv_and_parquet_give_the_same_pairs(files: dict[str, Any]) -> None:
    a, b = files["tmp"] / "pairs-csv.csv", files["tmp"] / "pairs-parquet.csv"
    if not (a.exists() and b.exists()):
        pytest.skip("needs the two runs above")
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    assert a.read_text(encoding="utf-8").startswith("left_id,right_id,match_probability,method\n")


def test_id_columns_can_be_given_on_the_command_line(files: dict[str, Any]) -> None:
    p = files["paths"]
    result = run(p["left.csv"], p["right.csv"], "--config", p["config"],
                 "--out", files["tmp"] / "x.csv", "--right-id", "nope")  # fmt: skip
    assert result.exit_code == 2
    error = json.loads(result.stderr)
    assert "nope" in error["error_en"] and "nope" in error["error"]


def test_bad_config_exits_2_with_a_bilingual_error(files: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("thresholds:\n  accept: 0.3\n  review: 0.8\n", encoding="utf-8")
    p = files["paths"]
    result = run(p["left.csv"], p["right.csv"], "--config", bad, "--out", tmp_path / "o.csv")
    assert result.exit_code == 2
    error = json.loads(result.stderr)
    assert error["key"] == "fields.left"
    bad.write_text("fields: [1\n", encoding="utf-8")
    result = run(p["left.csv"], p["right.csv"], "--config", bad, "--out", tmp_path / "o.csv")
    assert result.exit_code == 2 and "YAML" in json.loads(result.stderr)["error_en"]
    assert not (tmp_path / "o.csv").exists()


def test_link_does_not_set_up_django(files: dict[str, Any]) -> None:
    import subprocess
    import sys

    code = ("import sys; from minzheng.monitoring.linkage import cli, link, config;"
            "assert 'django.db' not in sys.modules, 'django imported'")  # fmt: skip
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    assert pa.__version__  # pyarrow is the only heavy import

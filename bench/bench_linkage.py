"""Record linkage of department feed rows to registry persons, beside Splink's own defaults.

    .venv/bin/python bench/bench_linkage.py [--persons 100000 1000000] [--rows-per-person 3]

For each size a synthetic registry (``minzheng.synth``) and a feed of ``--rows-per-person``
rows per person plus 5% rows for people outside the registry are written to Parquet
(``minzheng.monitoring.linkage.synthetic``: 5% missing and 1% corrupted ID numbers, 2%
homophone and 1% typo names, 1% birth-date errors, 20% county-only divisions). Then, on
the same files, each in its own process (so peak memory is its own):

* FIGURE — ``link_tables`` with ``default.yaml``: exact join on valid ID numbers, Splink
  for the rest (m from the exact matches, u from random pairs, pinyin, date and
  division levels);
* BASELINE — Splink as its tutorial sets it up, on every feed row, no exact pre-join:
  ``SettingsCreator`` with the library comparisons (``NameComparison``,
  ``DateOfBirthComparison``, ``ExactMatch`` on sex and division,
  ``LevenshteinAtThresholds`` on the ID number), blocking on the ID number plus the
  same rules as the figure, prior from the ID number, u from random sampling, m by EM
  (blocked on birth date, then on name); best candidate per feed row.

Both count a link at match probability ≥ 0.95; F1 is against the generator's truth.
Prints one JSON line per size with seconds, F1, peak RSS of each, and the time ratio.
Target (issue #6): F1 ≥ 0.99; report the time ratio. The 1 M / 5 M / 10 M runs of the
issue are ``--persons 1000000 5000000 10000000`` (10 M wants ~32 GB and an hour;
``--no-baseline`` skips Splink's defaults, which need far more memory at that size).

Row for bench/README.md::

    | `bench_linkage.py` | seconds, F1 and peak memory to link N persons × 3 feed rows (exact ID join, then Splink on the rest) | Splink's default comparisons on every row, no exact pre-join, same files | F1 ≥ 0.99; time ratio reported |
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACCEPT = 0.95


def prepare(persons: int, rows_per_person: float, seed: int, out: Path) -> dict[str, Any]:
    """Write right.parquet, left.parquet and truth.parquet for one size."""
    from minzheng.monitoring.linkage.synthetic import feed_rows, right_table
    from minzheng.synth import generate

    out.mkdir(parents=True)
    start = time.perf_counter()
    registry = generate(persons=persons, seed=seed).persons
    others = generate(persons=max(persons // 20, 10), seed=seed + 1000).persons
    others = others.set_column(0, "person_key", pc.add(others["person_key"], 10**12))
    feed = feed_rows(registry, rows_per_person=rows_per_person, outsiders=others, seed=seed)
    pq.write_table(right_table(registry), out / "right.parquet")
    pq.write_table(feed.rows, out / "left.parquet")
    truth = pa.table({"record_id": feed.rows["record_id"], "person_key": feed.truth})
    pq.write_table(truth, out / "truth.parquet")
    return {"feed_rows": feed.rows.num_rows, "prepare_seconds": time.perf_counter() - start}


def config_doc() -> dict[str, Any]:
    import yaml

    from minzheng.monitoring.linkage.config import DEFAULT_PATH

    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    doc["fields"]["left"]["id"] = "record_id"
    doc["fields"]["right"]["id"] = "person_key"
    doc["fields"]["right"]["address"] = None
    return doc


def run_ours(directory: Path) -> dict[str, Any]:
    from minzheng.monitoring.linkage.config import parse_config
    from minzheng.monitoring.linkage.link import link_tables

    start = time.perf_counter()
    result = link_tables(directory / "left.parquet", directory / "right.parquet",
                         parse_config(config_doc()))  # fmt: skip
    seconds = time.perf_counter() - start
    pq.write_table(result.pairs, directory / "pairs-ours.parquet")
    return {"seconds": seconds, "to_splink": result.to_splink, "timings": result.timings}


BASELINE_SQL = """
CREATE TABLE l AS SELECT record_id AS unique_id, id_number, name, sex, birth_date,
  division_code AS division FROM read_parquet('{left}');
CREATE TABLE r AS SELECT person_key AS unique_id, id_number, name, sex, birth_date,
  hukou_division AS division FROM read_parquet('{right}');
"""


def run_splink_defaults(directory: Path) -> dict[str, Any]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(BASELINE_SQL.format(left=directory / "left.parquet",
                                    right=directory / "right.parquet"))  # fmt: skip
    db = DuckDBAPI(con)
    tables = [db.register("l", dataset_display_name="a_left"),
              db.register("r", dataset_display_name="b_right")]  # fmt: skip
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.ExactMatch("division"),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("birth_date", "substr(division, 1, 6)"),
            block_on("name", "year(birth_date)"),
            block_on("name", "substr(division, 1, 6)"),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(tables, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.94
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    predicted = linker.inference.predict(threshold_match_probability=0.5)
    con.execute(f"""
        COPY (
          SELECT CASE WHEN source_dataset_l = 'a_left' THEN unique_id_l ELSE unique_id_r END AS left_id,
                 CASE WHEN source_dataset_l = 'a_left' THEN unique_id_r ELSE unique_id_l END AS right_id,
                 match_probability
          FROM {predicted.physical_name}
          QUALIFY row_number() OVER (PARTITION BY left_id ORDER BY match_probability DESC, right_id) = 1
        ) TO '{directory / "pairs-splink.parquet"}' (FORMAT parquet)
    """)
    return {"seconds": time.perf_counter() - start}


def child(method: str, directory: Path) -> None:
    """Run one method in this process and print its figures (peak RSS is this process's)."""
    out = run_ours(directory) if method == "ours" else run_splink_defaults(directory)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out))


def measure(method: str, directory: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", method, "--dir", str(directory)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(f1(directory / f"pairs-{method}.parquet", directory / "truth.parquet"))
    return figures


def f1(pairs_path: Path, truth_path: Path) -> dict[str, Any]:
    """Precision, recall and F1 of the links at probability ≥ ACCEPT against the truth."""
    import duckdb

    row = duckdb.sql(f"""
        WITH p AS (SELECT * FROM read_parquet('{pairs_path}') WHERE match_probability >= {ACCEPT}),
        t AS (SELECT * FROM read_parquet('{truth_path}'))
        SELECT (SELECT count(*) FROM p),
               (SELECT count(*) FROM p JOIN t ON t.record_id = p.left_id AND t.person_key = p.right_id),
               (SELECT count(*) FROM t WHERE person_key IS NOT NULL)
    """).fetchall()[0]  # fmt: skip
    linked, correct, positives = (int(x) for x in row)
    precision = correct / linked if linked else 0.0
    recall = correct / positives if positives else 0.0
    score = 2 * precision * recall / (precision + recall) if correct else 0.0
    return {"links": linked, "precision": round(precision, 5), "recall": round(recall, 5),
            "f1": round(score, 5)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--persons", type=int, nargs="+", default=[100_000])
    ap.add_argument("--rows-per-person", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-baseline", action="store_true", help="skip Splink's defaults")
    ap.add_argument("--child", choices=["ours", "splink"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.dir)
        return
    ok = True
    with tempfile.TemporaryDirectory(prefix="mz-bench-link-") as tmp:
        for n in args.persons:
            directory = Path(tmp) / str(n)
            made = prepare(n, args.rows_per_person, args.seed, directory)
            ours = measure("ours", directory)
            row: dict[str, Any] = {"bench": "linkage", "persons": n, **made, "ours": ours}
            if not args.no_baseline:
                base = measure("splink", directory)
                row["baseline"] = "Splink defaults, every row, no exact pre-join"
                row["splink_defaults"] = base
                row["time_ratio"] = round(ours["seconds"] / base["seconds"], 3)
            row["target_f1"] = 0.99
            row["ok"] = ours["f1"] >= 0.99
            ok = ok and row["ok"]
            print(json.dumps(_round(row), ensure_ascii=False), flush=True)
    if not ok:
        sys.exit(1)


def _round(value: Any) -> Any:
    """Floats to 5 decimals (F1 needs them), all the way down."""
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return round(value, 5) if isinstance(value, float) else value


if __name__ == "__main__":
    main()

"""The monitoring pass's rule evaluation over N persons, beside the same rules hand-written in DuckDB SQL.

    .venv/bin/python bench/bench_monitor.py [--persons 1000000 5000000 10000000] [--seed 7] [--keep]

PREPARE (not timed, cached under ``bench/out/monitor-<N>-s<seed>/``): a synthetic population
(``minzheng.synth.generate``) and its department feeds (``make_feeds``: ≈3.4 rows per person
over the twelve kinds, ≈2.3 of them in the nine kinds the rules read), written as Parquet —

* the registry tables in the engine's schema (``division``, ``household``, ``person``,
  ``income``, ``asset``; ``minzheng.engine.synthetic.population_tables``);
* ``parameter``: the assistance catalogue's national defaults (``default_rows`` →
  ``engine_table``; every row has division prefix '');
* ``layer``: every member of a dibao / tekun / bianyuan household (``synth.layers``),
  subtype '';
* one file per feed kind a default rule reads, ``person_sk`` from the generator's TRUE
  link (linkage is ``bench_linkage.py``'s business): records of people outside the registry
  and second deliveries of the same key are dropped (the pass reads stored, linked
  records); the columns typed as the rule inputs declare (money int64 fen, date32).

Above ``CHUNK`` persons the population is generated in chunks of at most ``CHUNK`` persons
(chunk ``i`` with seed ``seed + 1000·i``; keys offset, divisions merged by code) and
appended to the same files, so preparing 10 M needs ≈4 GB instead of ≈20 GB. Each chunk is
a whole population of its own (households, layers and planted events never span chunks).

MEASURE, each in its own process (peak RSS = its ``VmHWM``), on the same files:

* FIGURE — the eight default warning rules (``minzheng.monitoring.rules.default_rules``)
  run by the engine on DuckDB with the Parquet paths as inputs (``api.run``, one runner
  reused across rules, indicators off, as ``monitoring.passes.monitor_run`` does), the
  flagged subjects taken and their explanations built (``explain.json_column``);
* BASELINE — the same windows, joins and conditions written by hand as one DuckDB query
  per rule returning the flagged subject keys. Parameters are looked up as the rows with
  division prefix '' valid on the day: the engine resolves the longest prefix valid on the
  day, and the defaults have only prefix '' (the subject's residence division must exist,
  as the engine's join to ``division`` requires).

The flagged sets must be identical per rule (else exit 1). Prints per size the seconds and
peak RSS of both, the ratio, input rows per second, per-rule seconds and the engine's
per-step timings; between sizes the growth exponent log(t2/t1)/log(n2/n1) (1 = linear);
then one JSON line per size. Targets (issue #6): ratio ≤ 1.5×; at 10 M ≤ 5 min and ≤ 8 GB.

Row for bench/README.md::

    | `bench_monitor.py` | seconds and peak memory for the eight default warning rules over N persons + their feeds (engine on DuckDB over Parquet, flagged subjects and explanations; subprocess each) | the same rules hand-written in DuckDB SQL on the same Parquet (flagged sets must match) | ratio ≤ 1.5×, linear growth; 10 M ≤ 5 min and ≤ 8 GB |

Last run (``--persons 100000 1000000 5000000 10000000 --repeat 2``, seed 7, 2 cores shared
with other work, load average 4–9, so wall times are inflated; CPU seconds in brackets):

    persons   engine s        baseline s     ratio (cpu)   peak GB eng / base   growth eng / base (cpu)
    100 k       0.36 (0.36)     0.18 (0.19)  1.94 (1.89)   0.20 / 0.17
    1 M         3.81 (2.38)     1.67 (1.02)  2.28 (2.33)   0.38 / 0.30          1.03 / 0.96
    5 M        24.39 (15.0)    10.25 (6.48)  2.38 (2.32)   1.05 / 0.80          1.15 / 1.13 (1.15 / 1.15)
    10 M       77.77 (33.7)    35.81 (14.1)  2.17 (2.40)   1.95 / 1.34          1.67 / 1.81 (1.17 / 1.12)

Flagged sets identical for every rule at every size (and equal to the generator's truth,
but for one main_earner_unemployed household per 10 M where two members tie for the top
income: the rule flags it, the generator's truth picks one member). 10 M is within 5 min
and 8 GB; the ratio target (≤ 1.5×) is missed. Cause (profiled at 5 M): the engine
evaluates every rule densely — each of the eight queries builds facts for all persons
and households (``p_base``/``h_base`` → every ``p_src_*``/``h_person`` aggregate and the
joins back) and returns a result row per subject (3.9 M households or 10 M persons × 7–12
columns, cast to Arrow), of which the pass keeps ~0.1–0.4%; the hand-written SQL starts
from the feed rows in the window and touches only their households. On the engine's own
SQL, keeping only flagged rows (``WHERE flag`` in the fetch) takes the eight rules from
19.8 s to 13.6 s, and also restricting ``p_base``/``h_base`` to households with a feed row
in the window to 9.0 s, against 7.9 s by hand (1.15×).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = dt.date(2024, 6, 30)
CHUNK = 2_000_000
OUT = Path(__file__).resolve().parent / "out"
REGISTRY = ("division", "household", "person", "income", "asset")
TARGET_RATIO = 1.5
TARGET_SECONDS_10M = 300
TARGET_GB_10M = 8.0


# --- preparation -------------------------------------------------------------------------------
def rule_feeds() -> dict[str, tuple[str, dict[str, str]]]:
    """Feed kind → (date column, columns and language types) as the default rules read it."""
    from minzheng.monitoring.rules import LAYER_INPUT, default_rules

    out: dict[str, tuple[str, dict[str, str]]] = {}
    for rule in default_rules().values():
        for name, spec in rule.ruleset.inputs.items():
            if name == LAYER_INPUT:
                continue
            date, cols = out.get(name, (spec.date, {}))
            out[name] = (date, {**cols, **{c: t for c, t in spec.columns.items() if c != date}})
    return out


def prepare(persons: int, seed: int, out: Path) -> dict[str, Any]:
    """Write the Parquet inputs for ``persons`` (see the module docstring); cached."""
    done = out / "done.json"
    if done.exists():
        info: dict[str, Any] = json.loads(done.read_text())
        info["cached"] = True
        return info
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", "prepare", "--dir", str(out),
           "--persons", str(persons), "--seed", str(seed)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(f"preparing {persons:,} persons failed:\n{run.stderr[-3000:]}")
    info = json.loads(done.read_text())
    info["cached"] = False
    return info


def prepare_child(persons: int, seed: int, out: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from minzheng.assistance.catalogue import default_rows, engine_table
    from minzheng.engine import catalog
    from minzheng.engine.synthetic import population_tables
    from minzheng.synth import generate
    from minzheng.synth.feeds import make_feeds
    from minzheng.synth.layers import LAYERS, LOW_INCOME

    start = time.perf_counter()
    feeds = rule_feeds()
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = defaultdict(int)
    truth: dict[str, int] = defaultdict(int)  # the generator's expected warnings per rule

    def write(name: str, table: pa.Table) -> None:
        if name not in writers:
            writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
        writers[name].write_table(table)
        rows[name] += table.num_rows

    divisions: dict[str, tuple[int, int, str, str]] = {}  # code → (sk, level, parent, name)
    p_off = h_off = 0
    chunks = math.ceil(persons / CHUNK)
    for c in range(chunks):
        size = persons // chunks + (1 if c < persons % chunks else 0)
        pop = generate(persons=size, seed=seed + 1000 * c, as_of=AS_OF)
        t = population_tables(pop)
        # divisions: merge by code, then renumber this chunk's keys
        d = t["division"].to_pydict()
        code_of = dict(zip(d["division_sk"], d["code"], strict=True))
        lookup = np.zeros(max(d["division_sk"]) + 1, dtype=np.int64)
        for sk, code, level, parent, name in zip(*d.values(), strict=True):
            if code not in divisions:
                divisions[code] = (len(divisions) + 1, level, code_of.get(parent, ""), name)
            lookup[sk] = divisions[code][0]
        glob = pa.array(lookup)

        def shift(col: Any, by: int) -> Any:
            return pc.add(col, by)

        def div(col: Any) -> Any:
            return glob.take(col)  # noqa: B023 (used within the iteration)

        hh, pe = t["household"], t["person"]
        ref = hh["ref"] if chunks == 1 else pc.binary_join_element_wise(f"{c}", hh["ref"], "/")
        write("household", pa.table({
            "household_sk": shift(hh["household_sk"], h_off), "ref": ref,
            "hukou_division_sk": div(hh["hukou_division_sk"]),
            "residence_division_sk": div(hh["residence_division_sk"]),
            "urban": hh["urban"], "head_sk": shift(hh["head_sk"], p_off),
        }, schema=hh.schema))  # fmt: skip
        pe = pe.set_column(0, "person_sk", shift(pe["person_sk"], p_off))
        for name in ("household_sk", "hukou_division_sk", "residence_division_sk"):
            i = pe.schema.get_field_index(name)
            new = shift(pe[name], h_off) if name == "household_sk" else div(pe[name])
            pe = pe.set_column(i, name, new)
        write("person", pe)
        inc = t["income"]
        write("income", inc.set_column(0, "person_sk", shift(inc["person_sk"], p_off)))
        ast = t["asset"]
        write("asset", ast.set_column(0, "household_sk", shift(ast["household_sk"], h_off)))
        del t, hh, pe, inc, ast

        fs = make_feeds(pop)
        for warning in fs.warnings:
            truth[warning["rule"]] += 1
        lay = fs.world.layers
        person_layer = lay.layer[lay.hh]
        member = np.flatnonzero(np.isin(person_layer, LOW_INCOME))
        write("layer", pa.table({
            "person_sk": pa.array(member + 1 + p_off, pa.int64()),
            "layer": pa.array(np.array(LAYERS, dtype=object)[person_layer[member]], pa.string()),
            "subtype": pa.array([""] * len(member), pa.string()),
        }))  # fmt: skip
        for kind, (date, cols) in sorted(feeds.items()):
            feed = fs.feeds[kind]
            keep = np.flatnonzero(~feed.redelivered & (feed.batch.who < fs.world.n))
            at = pa.array(keep)
            data = {
                "person_sk": pa.array(feed.batch.who[keep] + 1 + p_off, pa.int64()),
                date: pa.array(feed.batch.day[keep].astype(np.int32), pa.int32()).cast(pa.date32()),
            }
            for col, typ in cols.items():
                data[col] = feed.batch.cols[col].take(at).cast(catalog.arrow_type(typ))
            write(kind, pa.table(data))
        p_off += pop.persons.num_rows
        h_off += pop.households.num_rows
        del fs, pop, lay
    ordered = sorted(divisions.items(), key=lambda kv: kv[1][0])
    sk_of = {code: v[0] for code, v in ordered}
    write("division", pa.table({
        "division_sk": [v[0] for _, v in ordered], "code": [c for c, _ in ordered],
        "level": [v[1] for _, v in ordered], "parent_sk": [sk_of.get(v[2]) for _, v in ordered],
        "name": [v[3] for _, v in ordered],
    }, schema=catalog.DIVISION.arrow_schema()))  # fmt: skip
    write("parameter", engine_table(default_rows()))
    for w in writers.values():
        w.close()
    info = {"persons": persons, "seed": seed, "chunks": chunks, "rows": dict(rows), "truth": dict(truth),
            "prepare_seconds": round(time.perf_counter() - start, 1),
            "prepare_peak_mb": peak_mb()}  # fmt: skip
    (out / "done.json").write_text(json.dumps(info))


# --- measuring -------------------------------------------------------------------------------
def peak_mb() -> int:
    """This process's peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads (DuckDB's included)."""
    t = os.times()
    return t.user + t.system


def paths_in(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(directory.glob("*.parquet")) if "flagged" not in p.stem}


def engine_child(directory: Path) -> dict[str, Any]:
    """The eight default rules on the engine, as the pass runs them (flagged + explanations)."""
    import pyarrow as pa

    from minzheng.engine import run as engine_run
    from minzheng.engine.backends.duckdb import DuckDBRunner
    from minzheng.engine.explain import json_column
    from minzheng.monitoring.rules import default_rules

    rules = default_rules()  # read and checked once per process, as the pass does
    paths = paths_in(directory)
    base = {n: paths[n] for n in (*REGISTRY, "parameter")}
    steps: dict[str, float] = defaultdict(float)
    current = [""]

    def progress(step: str, seconds: float) -> None:
        steps[f"{current[0]}.{step}"] += seconds

    runner = DuckDBRunner(progress=progress)
    per_rule: dict[str, dict[str, Any]] = {}
    flagged_out: dict[str, pa.Array] = {}
    cpu, start = cpu_seconds(), time.perf_counter()
    for name, rule in sorted(rules.items()):
        current[0] = name
        t0 = time.perf_counter()
        inputs = {**base, **{n: paths[n] for n in rule.ruleset.inputs}}
        result = engine_run(rule.ruleset, inputs, as_of=AS_OF, runner=runner, indicators=False,
                            check_parameters=False, flagged_only=True)  # as the pass does  # fmt: skip
        t1 = time.perf_counter()
        flagged = result.flagged()
        explanations = json_column(flagged, rule.ruleset, result.values())
        t2 = time.perf_counter()
        assert len(explanations) == flagged.num_rows
        flagged_out[name] = flagged.column("subject_sk").combine_chunks()
        per_rule[name] = {"seconds": round(t2 - t0, 3), "run": round(t1 - t0, 3),
                          "flag_explain": round(t2 - t1, 3), "result_rows": result.table.num_rows,
                          "flagged": flagged.num_rows}  # fmt: skip
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    runner.close()
    write_flagged(directory / "flagged-engine.parquet", flagged_out)
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb(), "per_rule": per_rule,
            "steps": {k: round(v, 3) for k, v in sorted(steps.items())},
            "threads": os.cpu_count()}  # fmt: skip


def write_flagged(path: Path, flagged: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({
            "rule": pa.array([r for r, a in flagged.items() for _ in range(len(a))], pa.string()),
            "subject_sk": pa.concat_arrays([a.cast(pa.int64()) for a in flagged.values()]),
        }),
        path,
    )  # fmt: skip


# The hand-written rules. {a}: the pass's day; {m3} / {m12}: 3 / 12 calendar months before it
# (day clipped to the month's end), each window being (start, day].
LAYERS_CTE = """hl AS (
  SELECT p.household_sk, count(*) AS layers,
    count(*) FILTER (WHERE l.layer IN ('dibao', 'tekun')) AS assisted,
    count(*) FILTER (WHERE l.layer = 'dibao') AS dibao
  FROM layer l JOIN person p ON p.person_sk = l.person_sk
  GROUP BY p.household_sk
)"""
PARAMS_CTE = """par AS (
  SELECT {pivot} FROM parameter
  WHERE division_prefix = '' AND valid_from <= DATE '{a}' AND (valid_to IS NULL OR valid_to > DATE '{a}')
)"""

HAND_SQL = {
    "death_in_assistance": """
WITH {hl}
SELECT DISTINCT p.household_sk AS subject_sk
FROM death d JOIN person p ON p.person_sk = d.person_sk
JOIN hl ON hl.household_sk = p.household_sk
WHERE d.died_on > DATE '{m3}' AND d.died_on <= DATE '{a}' AND hl.assisted > 0
""",
    "eligible_not_enrolled": """
WITH {hl}, {par},
wp AS (
  SELECT person_sk, count(*) AS n, sum(income_fen) AS fen FROM wage_income
  WHERE month > DATE '{m12}' AND month <= DATE '{a}' GROUP BY person_sk
), inc AS (
  SELECT person_sk, sum(monthly_fen) FILTER (WHERE kind = 'wage') AS wage,
    sum(monthly_fen) FILTER (WHERE kind <> 'wage') AS other
  FROM income GROUP BY person_sk
), hp AS (
  SELECT p.household_sk, count(*) AS members, count(wp.n) AS verified,
    sum(CASE WHEN wp.n > 0 THEN coalesce(wp.fen, 0) ELSE 12 * coalesce(i.wage, 0) END
        + 12 * coalesce(i.other, 0)) AS fen
  FROM person p LEFT JOIN wp ON wp.person_sk = p.person_sk
  LEFT JOIN inc i ON i.person_sk = p.person_sk
  GROUP BY p.household_sk
)
SELECT h.household_sk AS subject_sk
FROM household h JOIN hp ON hp.household_sk = h.household_sk
JOIN division d ON d.division_sk = h.residence_division_sk
LEFT JOIN hl ON hl.household_sk = h.household_sk, par
WHERE hp.verified > 0 AND coalesce(hl.assisted, 0) = 0
  AND coalesce(hp.fen, 0) < (CASE WHEN h.urban THEN par.dibao_urban_fen ELSE par.dibao_rural_fen END) * hp.members * 12
""",
    "house_destroyed": """
WITH {hl}, x AS (
  SELECT p.household_sk FROM disaster s JOIN person p ON p.person_sk = s.person_sk
  WHERE s.struck_on > DATE '{m3}' AND s.struck_on <= DATE '{a}' AND s.house_damage IN ('倒塌', '严重损坏')
)
SELECT DISTINCT x.household_sk AS subject_sk FROM x JOIN hl ON hl.household_sk = x.household_sk
WHERE hl.layers > 0
""",
    "main_earner_unemployed": """
WITH {hl}, pin AS (
  SELECT person_sk, sum(monthly_fen) AS fen FROM income GROUP BY person_sk
), top AS (
  SELECT p.household_sk, max(pin.fen) AS fen FROM pin JOIN person p ON p.person_sk = pin.person_sk
  GROUP BY p.household_sk
), un AS (
  SELECT p.household_sk, max(coalesce(pin.fen, 0)) AS fen
  FROM (SELECT DISTINCT person_sk FROM unemployment
        WHERE status = '登记' AND registered_on > DATE '{m3}' AND registered_on <= DATE '{a}') u
  JOIN person p ON p.person_sk = u.person_sk LEFT JOIN pin ON pin.person_sk = u.person_sk
  GROUP BY p.household_sk
)
SELECT top.household_sk AS subject_sk
FROM top JOIN un ON un.household_sk = top.household_sk JOIN hl ON hl.household_sk = top.household_sk
WHERE top.fen > 0 AND un.fen = top.fen AND hl.layers > 0
""",
    "medical_burden": """
WITH {par}, m AS (
  SELECT p.household_sk, sum(s.out_of_pocket_fen) AS oop
  FROM medical s JOIN person p ON p.person_sk = s.person_sk
  WHERE s.settled_on > DATE '{m12}' AND s.settled_on <= DATE '{a}'
  GROUP BY p.household_sk
  HAVING sum(s.out_of_pocket_fen) > (SELECT medical_floor_fen FROM par)
), hi AS (
  SELECT p.household_sk, sum(i.monthly_fen) AS fen FROM income i JOIN person p ON p.person_sk = i.person_sk
  GROUP BY p.household_sk
)
SELECT m.household_sk AS subject_sk
FROM m JOIN household h ON h.household_sk = m.household_sk
JOIN division d ON d.division_sk = h.residence_division_sk
LEFT JOIN hi ON hi.household_sk = m.household_sk, par
WHERE m.oop * 100 > par.medical_share_pct * 12 * coalesce(hi.fen, 0)
""",
    "new_asset_enrolled": """
WITH {hl}, x AS (
  SELECT p.household_sk FROM vehicle s JOIN person p ON p.person_sk = s.person_sk
  WHERE s.registered_on > DATE '{m3}' AND s.registered_on <= DATE '{a}' AND s.vehicle_type IN ('小型汽车', '大型汽车')
  UNION
  SELECT p.household_sk FROM real_estate s JOIN person p ON p.person_sk = s.person_sk
  WHERE s.registered_on > DATE '{m3}' AND s.registered_on <= DATE '{a}' AND s.usage = '住宅'
)
SELECT x.household_sk AS subject_sk FROM x JOIN hl ON hl.household_sk = x.household_sk WHERE hl.dibao > 0
""",
    "school_dropout": """
WITH {hl}
SELECT DISTINCT p.person_sk AS subject_sk
FROM school s JOIN person p ON p.person_sk = s.person_sk JOIN hl ON hl.household_sk = p.household_sk
WHERE s.event = '辍学' AND s.event_on > DATE '{m3}' AND s.event_on <= DATE '{a}' AND hl.layers > 0
""",
    "severe_disability": """
WITH {hl}
SELECT DISTINCT p.person_sk AS subject_sk
FROM disability s JOIN person p ON p.person_sk = s.person_sk JOIN hl ON hl.household_sk = p.household_sk
WHERE s.change IN ('发证', '换证') AND s.grade <= 2
  AND s.changed_on > DATE '{m3}' AND s.changed_on <= DATE '{a}' AND hl.layers > 0
""",
}
PARAMS = {"eligible_not_enrolled": ("dibao_urban_fen", "dibao_rural_fen"),
          "medical_burden": ("medical_floor_fen", "medical_share_pct")}  # fmt: skip


def hand_sql(rule: str) -> str:
    from minzheng.synth.feed_rows import months_back

    names = PARAMS.get(rule, ())
    pivot = ", ".join(f"max(value) FILTER (WHERE name = '{n}') AS {n}" for n in names)
    a = AS_OF.isoformat()
    return HAND_SQL[rule].format(
        hl=LAYERS_CTE,
        par=PARAMS_CTE.format(pivot=pivot, a=a) if names else "",
        a=a,
        m3=months_back(AS_OF, 3).isoformat(),
        m12=months_back(AS_OF, 12).isoformat(),
    )


def baseline_child(directory: Path) -> dict[str, Any]:
    import duckdb

    sqls = {rule: hand_sql(rule) for rule in sorted(HAND_SQL)}
    paths = paths_in(directory)
    per_rule: dict[str, dict[str, Any]] = {}
    flagged: dict[str, Any] = {}
    cpu, start = cpu_seconds(), time.perf_counter()
    con = duckdb.connect()
    for name, path in paths.items():
        con.read_parquet(str(path)).create_view(name, replace=True)
    for rule, sql in sqls.items():
        t0 = time.perf_counter()
        flagged[rule] = con.sql(sql).to_arrow_table().column("subject_sk").combine_chunks()
        per_rule[rule] = {"seconds": round(time.perf_counter() - t0, 3),
                          "flagged": len(flagged[rule])}  # fmt: skip
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    con.close()
    write_flagged(directory / "flagged-baseline.parquet", flagged)
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb(), "per_rule": per_rule}


def measure(method: str, directory: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", method, "--dir", str(directory)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def compare(directory: Path) -> dict[str, dict[str, int]]:
    """Per rule: flagged by each and the differences (both must be 0)."""
    import duckdb

    e, b = directory / "flagged-engine.parquet", directory / "flagged-baseline.parquet"
    rows = duckdb.sql(f"""
        WITH e AS (SELECT * FROM read_parquet('{e}')), b AS (SELECT * FROM read_parquet('{b}')),
        r AS (SELECT rule FROM e UNION SELECT rule FROM b UNION SELECT unnest({sorted(HAND_SQL)}))
        SELECT r.rule,
          (SELECT count(*) FROM e WHERE e.rule = r.rule),
          (SELECT count(*) FROM b WHERE b.rule = r.rule),
          (SELECT count(*) FROM (SELECT subject_sk FROM e WHERE e.rule = r.rule
                                 EXCEPT ALL SELECT subject_sk FROM b WHERE b.rule = r.rule)),
          (SELECT count(*) FROM (SELECT subject_sk FROM b WHERE b.rule = r.rule
                                 EXCEPT ALL SELECT subject_sk FROM e WHERE e.rule = r.rule))
        FROM r ORDER BY r.rule
    """).fetchall()  # fmt: skip
    return {
        r: {
            "engine": int(ne),
            "baseline": int(nb),
            "only_engine": int(oe),
            "only_baseline": int(ob),
        }
        for r, ne, nb, oe, ob in rows
    }


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run; CPU seconds are the least of any run, peak memory the most."""
    out = dict(min(runs, key=lambda r: r["seconds"]))
    out["cpu_seconds"] = min(r["cpu_seconds"] for r in runs)
    out["peak_mb"] = max(r["peak_mb"] for r in runs)
    return out


def report(row: dict[str, Any], eng: dict[str, Any], base: dict[str, Any]) -> None:
    n = row["persons"]
    print(f"\n== {n:,} persons, {row['input_rows']:,} input rows ({row['feed_rows']:,} feed rows)"
          f"{' [cached]' if row['cached'] else ''}, prepared in {row['prepare_seconds']} s")  # fmt: skip
    print(f"  engine   {row['seconds']:8.2f} s  (cpu {row['cpu_seconds']:7.2f} s)  peak "
          f"{row['peak_gb']:5.2f} GB  {row['rows_per_second']:>12,} rows/s")  # fmt: skip
    print(f"  baseline {row['baseline_seconds']:8.2f} s  (cpu {row['baseline_cpu_seconds']:7.2f} s)  "
          f"peak {row['baseline_peak_gb']:5.2f} GB  {row['baseline_rows_per_second']:>12,} rows/s")  # fmt: skip
    print(f"  ratio    {row['ratio']:.2f}x (target <= {TARGET_RATIO}x; cpu {row['cpu_ratio']:.2f}x; "
          f"best of {row['repeat']}, load average {row['load_average']})")  # fmt: skip
    print(f"  {'rule':24} {'flagged':>9} {'truth':>7} {'engine s':>9} {'(run':>7} {'explain)':>9} "
          f"{'hand s':>8}")  # fmt: skip
    for rule, c in row["flagged"].items():
        e, b = eng["per_rule"][rule], base["per_rule"][rule]
        same = "" if c["only_engine"] == c["only_baseline"] == 0 else "  MISMATCH"
        print(f"  {rule:24} {c['engine']:>9,} {c['generator_truth']:>7,} {e['seconds']:9.2f} {e['run']:7.2f} "
              f"{e['flag_explain']:9.2f} {b['seconds']:8.2f}{same}")  # fmt: skip
    slow = sorted(eng["steps"].items(), key=lambda kv: -kv[1])[:5]
    print("  slowest engine steps: " + ", ".join(f"{k} {v:.2f}s" for k, v in slow))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--persons", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, best time kept")
    ap.add_argument("--keep", action="store_true", help="keep bench/out/monitor-* for re-runs")
    ap.add_argument("--child", choices=["prepare", "engine", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "prepare":
        prepare_child(args.persons[0], args.seed, args.dir)
        return
    if args.child:
        out = engine_child(args.dir) if args.child == "engine" else baseline_child(args.dir)
        print(json.dumps(out))
        return
    rows: list[dict[str, Any]] = []
    ok = True
    for n in args.persons:
        directory = OUT / f"monitor-{n}-s{args.seed}"
        made = prepare(n, args.seed, directory)
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "engine": []}
        for _ in range(args.repeat):  # interleaved, so load from elsewhere hits both alike
            for method, done in runs.items():
                done.append(measure(method, directory))
        base, eng = best(runs["baseline"]), best(runs["engine"])
        counts = compare(directory)
        for rule, c in counts.items():
            c["generator_truth"] = made.get("truth", {}).get(rule, 0)
        same = all(c["only_engine"] == c["only_baseline"] == 0 for c in counts.values())
        input_rows = sum(made["rows"].values())
        feed_rows = sum(v for k, v in made["rows"].items()
                        if k not in (*REGISTRY, "parameter", "layer"))  # fmt: skip
        row: dict[str, Any] = {
            "bench": "monitor_rules", "persons": n, "seed": args.seed, "as_of": AS_OF.isoformat(),
            "households": made["rows"]["household"], "feed_rows": feed_rows,
            "input_rows": input_rows, "chunks": made["chunks"], "cached": made["cached"],
            "prepare_seconds": made["prepare_seconds"], "rules": len(counts),
            "seconds": round(eng["seconds"], 3), "peak_gb": round(eng["peak_mb"] / 1024, 2),
            "rows_per_second": round(input_rows / eng["seconds"]),
            "baseline": "hand-written DuckDB SQL per rule (flagged subjects)",
            "baseline_seconds": round(base["seconds"], 3),
            "baseline_peak_gb": round(base["peak_mb"] / 1024, 2),
            "baseline_rows_per_second": round(input_rows / base["seconds"]),
            "ratio": round(eng["seconds"] / base["seconds"], 2), "target_ratio": TARGET_RATIO,
            "cpu_seconds": round(eng["cpu_seconds"], 2),
            "baseline_cpu_seconds": round(base["cpu_seconds"], 2),
            "cpu_ratio": round(eng["cpu_seconds"] / base["cpu_seconds"], 2),
            "repeat": args.repeat, "load_average": round(os.getloadavg()[0], 1),
            "flagged_match": same, "flagged": counts,
        }  # fmt: skip
        if rows:
            prev = rows[-1]
            scale = math.log(n / prev["persons"])
            row["growth_exponent"] = round(math.log(row["seconds"] / prev["seconds"]) / scale, 2)
            row["baseline_growth_exponent"] = round(
                math.log(row["baseline_seconds"] / prev["baseline_seconds"]) / scale, 2
            )
            for key in ("cpu_seconds", "baseline_cpu_seconds"):
                growth = math.log(row[key] / prev[key]) / scale
                row[key.replace("seconds", "growth_exponent")] = round(growth, 2)
        row["ok"] = same and row["ratio"] <= TARGET_RATIO
        if n >= 10_000_000:
            row["ok"] = row["ok"] and row["seconds"] <= TARGET_SECONDS_10M
            row["ok"] = row["ok"] and row["peak_gb"] <= TARGET_GB_10M
        report(row, eng, base)
        if "growth_exponent" in row:
            print(f"  growth exponent vs {rows[-1]['persons']:,}: engine "
                  f"{row['growth_exponent']}, baseline {row['baseline_growth_exponent']} (1 = linear); "
                  f"cpu: engine {row['cpu_growth_exponent']}, baseline "
                  f"{row['baseline_cpu_growth_exponent']}")  # fmt: skip
        row["engine_per_rule"] = {r: v["seconds"] for r, v in eng["per_rule"].items()}
        row["baseline_per_rule"] = {r: v["seconds"] for r, v in base["per_rule"].items()}
        rows.append(row)
        ok = ok and row["ok"]
        if not same:
            print(f"  flagged sets differ at {n:,} persons", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        sys.stdout.flush()
    print()
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    if not all(r["flagged_match"] for r in rows):
        raise SystemExit("the engine and the hand-written SQL flag different subjects")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Benchmark the statistics snapshot: every computed indicator of the catalogue for every
division level (nation → province → prefecture → county → township) over N persons.

    .venv/bin/python bench/bench_stats.py [--persons 200000] [--persons 1000000 …]

Setup: a synthetic registry written straight to Parquet with numpy (31 provinces × 10
prefectures × 10 counties × 10 townships; 2.5 persons per household; 35 % of households
on dibao, 10 % tekun, 5 % with temporary grants; 20 % of persons in a layer). FIGURE:
seconds for ``minzheng.stats.compute.compute`` on those Parquet files (the rule sets on
DuckDB, catalogue mapping, roll-up consistency check and ratios — everything the snapshot
does except reading the database and writing rows). BASELINE: one hand-written DuckDB
``GROUP BY ROLLUP`` per subject computing the same figures on the same Parquet; the nation
totals of both must agree. One JSON line per size. Target: 10 M persons ≤ 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2024, 9, 30)
TARGET_S = 60.0


def build(persons: int, out: Path, seed: int = 1) -> dict[str, Path]:
    """Write the engine's input tables for ``persons`` synthetic people as Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from minzheng.engine import catalog
    from minzheng.engine.params import parameter_table

    rng = np.random.default_rng(seed)
    codes = [
        f"{11 + p:02d}{1 + c:02d}{1 + k:02d}{1 + t:03d}000"
        for p in range(31)
        for c in range(10)
        for k in range(10)
        for t in range(10)
    ]
    n_div, n_hh = len(codes), max(1, int(persons / 2.5))
    epoch = np.datetime64("1930-01-01")
    tables: dict[str, pa.Table] = {
        "division": pa.table(
            {
                "division_sk": np.arange(n_div, dtype="int64"),
                "code": codes,
                "level": np.full(n_div, 4, dtype="int64"),
                "parent_sk": pa.nulls(n_div, pa.int64()),
                "name": codes,
            }
        )
    }
    hh_div = rng.integers(0, n_div, n_hh)
    urban = rng.random(n_hh) < 0.4
    tables["household"] = _full(
        catalog.HOUSEHOLD,
        household_sk=np.arange(n_hh),
        hukou_division_sk=hh_div,
        residence_division_sk=hh_div,
        urban=urban,
        head_sk=np.arange(n_hh),
    )
    p_hh = (np.arange(persons, dtype="int64") * n_hh) // persons
    tables["person"] = _full(
        catalog.PERSON,
        person_sk=np.arange(persons),
        household_sk=p_hh,
        sex=np.where(rng.random(persons) < 0.5, "1", "2"),
        birth_date=(epoch + rng.integers(0, 33000, persons).astype("timedelta64[D]")).astype(
            "datetime64[D]"
        ),
        hukou_division_sk=hh_div[p_hh],
        residence_division_sk=hh_div[p_hh],
        urban=urban[p_hh],
    )
    roll = rng.random(n_hh)
    enrolled = np.flatnonzero(roll < 0.45)
    start = np.datetime64("2023-01-01") + rng.integers(0, 700, enrolled.size).astype(
        "timedelta64[D]"
    )
    tables["enrolment"] = pa.table(
        {
            "household_sk": enrolled,
            "programme": np.where(roll[enrolled] < 0.35, "dibao", "tekun"),
            "covered_persons": rng.integers(1, 5, enrolled.size),
            "amount_fen": rng.integers(10_000, 200_000, enrolled.size),
            "valid_from": start.astype("datetime64[D]"),
            "valid_to": pa.nulls(enrolled.size, pa.date32()),
        }
    )
    temp = np.flatnonzero(rng.random(n_hh) < 0.05)
    tables["temporary"] = pa.table(
        {
            "household_sk": temp,
            "granted_on": (
                np.datetime64("2024-01-01")
                + rng.integers(0, 273, temp.size).astype("timedelta64[D]")
            ).astype("datetime64[D]"),
            "covered_persons": rng.integers(1, 4, temp.size),
        }
    )
    layered = np.flatnonzero(rng.random(persons) < 0.2)
    layers = np.array(["dibao", "tekun", "fanpin", "bianyuan", "gangxing", "other"])
    tables["layer"] = pa.table(
        {
            "person_sk": layered,
            "layer": layers[rng.integers(0, 6, layered.size)],
            "valid_from": np.full(layered.size, np.datetime64("2024-01-01", "D")),
            "valid_to": pa.nulls(layered.size, pa.date32()),
        }
    )
    tables["parameter"] = parameter_table(
        [
            {"name": n, "division": "", "value": v, "valid_from": dt.date(2020, 1, 1)}
            for n, v in (("dibao_urban_fen", 80_000), ("dibao_rural_fen", 60_000))
        ]
    )
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


def _full(spec: Any, **columns: Any) -> Any:
    """A table with every column of ``spec`` (defaults, or NULL, where not given)."""
    import pyarrow as pa

    n = len(next(iter(columns.values())))
    arrays = []
    for col, typ in spec.columns.items():
        t = spec.arrow_schema().field(col).type
        if col in columns:
            arrays.append(pa.array(columns[col]).cast(t))
        elif col in spec.defaults and typ != "date":
            arrays.append(pa.array([spec.defaults[col]] * n, t))
        else:
            arrays.append(pa.nulls(n, t))
    return pa.table(arrays, names=list(spec.columns))


BASELINE = {
    "household": """
    WITH e AS (
      SELECT household_sk,
        SUM(covered_persons) FILTER (WHERE programme = 'dibao') AS dibao_persons,
        COUNT(*) FILTER (WHERE programme = 'dibao') AS dibao_n,
        SUM(amount_fen) FILTER (WHERE programme = 'dibao') AS dibao_fen,
        SUM(covered_persons) FILTER (WHERE programme = 'tekun') AS tekun_persons
      FROM read_parquet('{enrolment}')
      WHERE valid_from <= DATE '{d}' AND (valid_to IS NULL OR valid_to > DATE '{d}')
      GROUP BY household_sk),
    t AS (SELECT household_sk, SUM(covered_persons) AS times FROM read_parquet('{temporary}')
          WHERE granted_on <= DATE '{d}' GROUP BY household_sk),
    h AS (SELECT h.household_sk, h.urban, d.code FROM read_parquet('{household}') h
          JOIN read_parquet('{division}') d ON d.division_sk = h.hukou_division_sk)
    SELECT substr(code,1,2) l1, substr(code,1,4) l2, substr(code,1,6) l3, substr(code,1,9) l4, urban,
      SUM(coalesce(dibao_persons,0)) dibao_persons, COUNT(*) FILTER (WHERE dibao_n > 0) dibao_hh,
      SUM(coalesce(dibao_fen,0)) dibao_fen, SUM(coalesce(tekun_persons,0)) tekun_persons,
      SUM(coalesce(dibao_persons,0) * CASE WHEN urban = false THEN 60000 ELSE 80000 END) std,
      SUM(coalesce(times,0)) temporary_times
    FROM h LEFT JOIN e USING (household_sk) LEFT JOIN t USING (household_sk)
    GROUP BY urban, ROLLUP (l1, l2, l3, l4)""",
    "person": """
    WITH l AS (SELECT person_sk, COUNT(*) n,
        bool_or(layer = 'dibao') dibao, bool_or(layer = 'tekun') tekun,
        bool_or(layer = 'fanpin') fanpin, bool_or(layer = 'bianyuan') bianyuan,
        bool_or(layer = 'gangxing') gangxing, bool_or(layer = 'other') other
      FROM read_parquet('{layer}')
      WHERE valid_from <= DATE '{d}' AND (valid_to IS NULL OR valid_to > DATE '{d}')
      GROUP BY person_sk),
    p AS (SELECT p.person_sk, p.sex, d.code,
        CASE WHEN birth_date IS NULL THEN 'unknown'
             WHEN date_sub('year', birth_date, DATE '{d}') < 18 THEN '0-17'
             WHEN date_sub('year', birth_date, DATE '{d}') < 60 THEN '18-59' ELSE '60+' END band
      FROM read_parquet('{person}') p JOIN read_parquet('{division}') d
        ON d.division_sk = p.hukou_division_sk)
    SELECT substr(code,1,2) l1, substr(code,1,4) l2, substr(code,1,6) l3, substr(code,1,9) l4,
      sex, band, COUNT(*) persons, COUNT(l.person_sk) monitored,
      COUNT(*) FILTER (WHERE dibao) l_dibao, COUNT(*) FILTER (WHERE tekun) l_tekun,
      COUNT(*) FILTER (WHERE fanpin) l_fanpin, COUNT(*) FILTER (WHERE bianyuan) l_bianyuan,
      COUNT(*) FILTER (WHERE gangxing) l_gangxing, COUNT(*) FILTER (WHERE other) l_other
    FROM p LEFT JOIN l USING (person_sk)
    GROUP BY sex, band, ROLLUP (l1, l2, l3, l4)""",
}


def baseline(paths: dict[str, Path]) -> tuple[float, dict[str, int]]:
    import duckdb

    con = duckdb.connect()
    fmt = {k: str(v) for k, v in paths.items()} | {"d": AS_OF.isoformat()}
    start = time.perf_counter()
    hh = con.sql(BASELINE["household"].format(**fmt)).to_arrow_table()
    pp = con.sql(BASELINE["person"].format(**fmt)).to_arrow_table()
    seconds = time.perf_counter() - start
    nation_h = hh.filter(hh.column("l1").is_null()).to_pylist()
    nation_p = pp.filter(pp.column("l1").is_null()).to_pylist()
    totals = {
        "SA01": sum(r["dibao_persons"] for r in nation_h if r["urban"] is True),
        "MN02": sum(r["persons"] for r in nation_p),
        "MN01": sum(r["monitored"] for r in nation_p),
    }
    return seconds, totals


def measure(persons: int) -> dict[str, Any]:
    from decimal import Decimal

    from minzheng.stats.compute import compute

    with tempfile.TemporaryDirectory(prefix="bench_stats_") as tmp:
        t0 = time.perf_counter()
        paths = build(persons, Path(tmp))
        setup = time.perf_counter() - t0
        start = time.perf_counter()
        result = compute({k: str(v) for k, v in paths.items()}, as_of=AS_OF)
        figure = time.perf_counter() - start
        base, totals = baseline(paths)
    nation: dict[str, Decimal] = {}
    for r in result.rows:
        if r.level == 0 and r.value is not None:
            nation[r.code] = nation.get(r.code, Decimal(0)) + r.value
    agree = all(nation.get(code, Decimal(0)) == value for code, value in totals.items())
    return {
        "bench": "stats_snapshot",
        "persons": persons,
        "figure_s": round(figure, 2),
        "engine_s": round(result.timings["engine"], 2),
        "assemble_and_check_s": round(result.timings["assemble"], 2),
        "baseline_s": round(base, 2),
        "ratio": round(figure / base, 2) if base else None,
        "figures": len(result.rows),
        "nation_totals_agree": agree,
        "setup_s": round(setup, 1),
        "target_s": TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, action="append", help="default 200000")
    args = parser.parse_args()
    for n in args.persons or [200_000]:
        print(json.dumps(measure(n)), flush=True)


if __name__ == "__main__":
    main()

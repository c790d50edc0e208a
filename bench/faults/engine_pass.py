"""A stand-in for the monitoring pass: snapshot the registry, run rule sets, write back by county.

    .venv/bin/python bench/faults/engine_pass.py --as-of 2024-07-01 [--counties 440106,440104]

Every (rule set, county) pair is one run key (``<ruleset>@<version>:<date>:<county>``)
written by :func:`minzheng.engine.results_write`: one transaction each, replaced on a
re-run. The pass prints ``planned <n>``, then ``writing <run_key>`` before each write and
``written <run_key> <rows>`` after its commit (flushed): the progress the fault campaign
reads to choose its kill point. Settings come from the environment (``MINZHENG_DATA_DIR``,
``DATABASE_URL``), as for every ``minzheng`` command.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

NAMES = ("dibao", "elderly", "medical_burden")


def county_of(division: Any) -> dict[int, str]:
    """division_sk → 6-digit county code, from the snapshot's division table."""
    sks = division.column("division_sk").to_pylist()
    codes = division.column("code").to_pylist()
    return {sk: code[:6] for sk, code in zip(sks, codes, strict=True)}


def inputs_on(day: dt.date) -> tuple[list[Any], dict[str, Any]]:
    """The rule sets and their inputs: a snapshot of the registry, parameters, a feed."""
    from minzheng import engine
    from minzheng.engine.synthetic import feed

    rulesets_dir = Path(engine.__file__).parent / "rulesets"  # of the code being run
    rulesets = [engine.load_ruleset(rulesets_dir / f"{n}.yaml") for n in NAMES]
    snap = engine.snapshot_take(on=day)
    inputs = {
        **snap.tables,
        "parameter": engine.load_parameters(rulesets_dir / "parameters.yaml", rulesets),
        "medical": feed(snap.tables["person"], as_of=day, seed=1),
    }
    return rulesets, inputs


def write_by_county(result: Any, county: dict[int, str], wanted: list[str]) -> None:
    """One run key per county, each written (and reported) on its own."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from minzheng import engine

    of = pa.array([county.get(s, "") for s in result.table.column("division_sk").to_pylist()])
    for code in wanted:
        part = dataclasses.replace(
            result, table=result.table.filter(pc.equal(of, code)), scope=code
        )
        print(f"writing {part.run_key}", flush=True)
        rows = engine.results_write(part)
        print(f"written {part.run_key} {rows}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--counties", default="", help="Comma-separated (default: every county).")
    args = ap.parse_args(argv)
    from minzheng.cli import setup_django

    setup_django()
    from minzheng import engine

    rulesets, inputs = inputs_on(args.as_of)
    county = county_of(inputs["division"])
    present = {county.get(s) for s in inputs["household"].column("hukou_division_sk").to_pylist()}
    wanted = [c for c in args.counties.split(",") if c] or sorted(c for c in present if c)
    print(f"planned {len(rulesets) * len(wanted)}", flush=True)
    for rs in rulesets:
        write_by_county(engine.run(rs, inputs, as_of=args.as_of, indicators=False), county, wanted)
    print("done", flush=True)


if __name__ == "__main__":
    main()

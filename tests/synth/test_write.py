"""write() round trip and the registry import CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq

from minzheng.registry.importing.columns import header_map, missing_required
from minzheng.registry.importing.readers import sheets
from minzheng.synth import Population, write, write_import_csv

HEADERS = [
    "户编号",
    "姓名",
    "公民身份号码",
    "与户主关系",
    "户籍地行政区划代码",
    "居住地行政区划代码",
    "居住地址",
    "城乡类别",
    "月收入",
    "残疾类别",
    "残疾等级",
    "劳动能力",
    "联系电话",
]


def test_write_round_trips(pop: Population, tmp_path: Path) -> None:
    paths = write(pop, tmp_path, csv=True)
    for name, table in pop.tables().items():
        assert pq.read_table(paths[name]).equals(table), name
        assert (tmp_path / f"{name}.csv").exists()
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["seed"] == 7 and manifest["persons"] == 20_000
    assert manifest["province"] == "44" and manifest["counties"] == ["440104", "440118"]
    assert manifest["as_of"] == "2024-06-30" and manifest["version"]
    assert manifest["rows"] == {n: t.num_rows for n, t in pop.tables().items()}


def test_import_csv(pop: Population, tmp_path: Path) -> None:
    path = tmp_path / "import.csv"
    assert write_import_csv(pop, path) == pop.persons.num_rows
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADERS
    assert len(rows) == pop.persons.num_rows + 1
    totals: dict[int, int] = {}
    for r in pop.incomes.to_pylist():
        totals[r["person_key"]] = totals.get(r["person_key"], 0) + r["monthly_fen"]
    persons = pop.persons.to_pylist()
    for i, row in enumerate(rows[1:]):
        p = persons[i]
        assert row[0] == p["household_ref"] and row[2] == (p["id_number"] or "")
        assert row[4] == p["hukou_division"][:9] and len(row[5]) == 9
        assert row[7] in ("城镇", "农村")
        yuan, fen = row[8].split(".")
        assert len(fen) == 2 and int(yuan) * 100 + int(fen) == totals.get(i, 0)
        assert row[11] in ("full", "partial", "none")


def test_import_csv_reads_with_the_registry_reader(pop: Population, tmp_path: Path) -> None:
    path = tmp_path / "import.csv"
    write_import_csv(pop, path)
    sheet = next(iter(sheets(path)))
    found = header_map(sheet.headers)
    assert not missing_required(found)
    first = next(sheet.rows)[1]
    assert first[found["relationship"]] == "02"


def test_import_csv_gbk(pop: Population, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    write_import_csv(pop, path, encoding="gb18030")
    text = path.read_bytes().decode("gb18030")
    assert text.splitlines()[0].replace('"', "").split(",") == HEADERS

"""Synthetic department feeds: formats, determinism, noise, and truth recomputed from the files.

The rule checks here are written from the conditions documented in
``minzheng.synth.feeds`` with plain Python over the written CSV files, the population
files and truth.json's links — never with the generator's own code.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from minzheng.synth import Population, generate, write
from minzheng.synth.feeds import make_feeds, write_feeds

ROOT = Path(__file__).resolve().parents[2]
KINDS = ROOT / "minzheng" / "monitoring" / "feeds" / "kinds"
FIXTURE = ROOT / "tests" / "fixtures" / "monitoring_small"
#: The command that made the committed fixture (also in its README.md).
COMMAND = ["synth", "--persons", "2000", "--counties", "440106", "--seed", "7", "--feeds"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
LOW = {"dibao", "tekun", "bianyuan"}
AGGREGATE = {"medical_burden", "eligible_not_enrolled"}


@lru_cache(maxsize=1)
def kinds() -> dict[str, dict[str, Any]]:
    specs = (yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(KINDS.glob("*.yaml")))
    return {s["kind"]: s for s in specs}


def valid_id(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def months_back(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def fen(text: str) -> int:
    yuan, cents = text.split(".")
    return int(yuan) * 100 + int(cents)


class Output:
    """One output directory read back with the csv module."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
        self.as_of = dt.date.fromisoformat(self.truth["as_of"])

    def read(self, kind: str) -> list[dict[str, str]]:
        with open(self.path / "feeds" / f"{kind}.csv", encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    def records(self, kind: str) -> Iterator[tuple[dict[str, str], str | None]]:
        """(row, linked person) per distinct key — what a correct importer keeps."""
        key_zh = next(
            c["zh"] for c in kinds()[kind]["columns"] if c["name"] == kinds()[kind]["key"]
        )
        links = self.truth["links"][kind]
        seen: set[str] = set()
        for row in self.read(kind):
            if row[key_zh] not in seen:
                seen.add(row[key_zh])
                yield row, links[row[key_zh]]

    @cached_property
    def persons(self) -> dict[str, dict[str, Any]]:
        """ref ("H…#n") → the person's row, with its key, household and income totals."""
        rows = pq.read_table(self.path / "persons.parquet").to_pylist()
        incomes: dict[int, Counter[str]] = defaultdict(Counter)
        for r in pq.read_table(self.path / "incomes.parquet").to_pylist():
            incomes[r["person_key"]][r["kind"]] += r["monthly_fen"]
        out: dict[str, dict[str, Any]] = {}
        position: Counter[str] = Counter()
        for p in rows:
            ref = f"{p['household_ref']}#{position[p['household_ref']]}"
            position[p["household_ref"]] += 1
            inc = incomes[p["person_key"]]
            out[ref] = p | {"income": sum(inc.values()), "wage": inc["wage"]}
        return out

    @cached_property
    def households(self) -> dict[str, dict[str, Any]]:
        with open(self.path / "layers.csv", encoding="utf-8-sig", newline="") as fh:
            out = {r["household_ref"]: dict(r) for r in csv.DictReader(fh)}
        for h in out.values():
            h["members"] = []
            h["income"] = 0
        for ref, p in self.persons.items():
            out[p["household_ref"]]["members"].append(ref)
            out[p["household_ref"]]["income"] += p["income"]
        return out

    def layer(self, ref: str) -> str:
        return str(self.households[ref.split("#")[0]]["layer"])

    def recent(self, text: str) -> bool:
        return months_back(self.as_of, 3) < dt.date.fromisoformat(text) <= self.as_of

    def top_earner(self, ref: str) -> bool:
        members = self.households[ref.split("#")[0]]["members"]
        best = max(members, key=lambda m: (self.persons[m]["income"], -members.index(m)))
        return best == ref and self.persons[ref]["income"] > 0


def fired(out: Output) -> set[tuple[str, str]]:
    """Every (rule, household) of an aggregate rule and (rule, person) of an event rule
    whose documented condition holds on the files."""
    return medical_burden(out) | eligible_not_enrolled(out) | event_rules(out)


def medical_burden(out: Output) -> set[tuple[str, str]]:
    start = months_back(out.as_of, 12)
    cost: Counter[str] = Counter()
    for row, ref in out.records("medical"):
        if ref and start < dt.date.fromisoformat(row["结算日期"]) <= out.as_of:
            cost[ref.split("#")[0]] += fen(row["个人自付"])
    return {
        ("medical_burden", h)
        for h, s in cost.items()
        if s > 2_000_000 and 2 * s > 12 * out.households[h]["income"]
    }


def eligible_not_enrolled(out: Output) -> set[tuple[str, str]]:
    months = {months_back(out.as_of.replace(day=1), k).strftime("%Y-%m") for k in range(12)}
    wages: Counter[str] = Counter()
    for row, ref in out.records("wage_income"):
        if ref and row["所属月份"] in months:
            wages[ref] += fen(row["收入额"])
    result = set()
    for h, info in out.households.items():
        members = info["members"]
        if info["layer"] in ("dibao", "tekun") or not any(m in wages for m in members):
            continue
        total = 0
        for m in members:
            p = out.persons[m]
            total += wages[m] if m in wages else 12 * p["wage"]
            total += 12 * (p["income"] - p["wage"])
        if total < 12 * fen(info["dibao_standard"]) * len(members):
            result.add(("eligible_not_enrolled", h))
    return result


def event_rules(out: Output) -> set[tuple[str, str]]:
    hits: set[tuple[str, str]] = set()

    def each(kind: str, date_zh: str) -> Iterator[tuple[dict[str, str], str]]:
        for row, ref in out.records(kind):
            if ref and out.recent(row[date_zh]):
                yield row, ref

    for _, ref in each("death", "死亡日期"):
        if out.layer(ref) in ("dibao", "tekun"):
            hits.add(("death_in_assistance", ref))
    for row, ref in each("disability", "变动日期"):
        severe = row["变动类型"] in ("发证", "换证") and row["残疾等级"] in ("1", "2")
        if severe and out.layer(ref) in LOW:
            hits.add(("severe_disability", ref))
    for row, ref in each("unemployment", "登记日期"):
        if row["登记状态"] == "登记" and out.layer(ref) in LOW and out.top_earner(ref):
            hits.add(("main_earner_unemployed", ref))
    for row, ref in each("school", "变动日期"):
        if row["变动类型"] == "辍学" and out.layer(ref) in LOW:
            hits.add(("school_dropout", ref))
    for row, ref in each("disaster", "受灾日期"):
        if row["房屋损毁程度"] in ("倒塌", "严重损坏") and out.layer(ref) in LOW:
            hits.add(("house_destroyed", ref))
    for row, ref in each("vehicle", "登记日期"):
        if row["车辆类型"] in ("小型汽车", "大型汽车") and out.layer(ref) == "dibao":
            hits.add(("new_asset_enrolled", ref))
    for row, ref in each("real_estate", "登记日期"):
        if row["用途"] == "住宅" and out.layer(ref) == "dibao":
            hits.add(("new_asset_enrolled", ref))
    return hits


def expected(out: Output) -> set[tuple[str, str]]:
    warned = out.truth["warnings"]
    return {(w["rule"], w["household" if w["rule"] in AGGREGATE else "person"]) for w in warned}


@pytest.fixture(scope="module")
def medium(pop: Population, tmp_path_factory: pytest.TempPathFactory) -> Output:
    """The session's 20,000-person population with its feeds."""
    path = tmp_path_factory.mktemp("feeds_medium")
    write(pop, path)
    write_feeds(make_feeds(pop), path)
    return Output(path)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Output:
    """The committed fixture's command, run again."""
    from minzheng.cli import main

    path = tmp_path_factory.mktemp("feeds_small")
    result = CliRunner().invoke(main, [*COMMAND, "--out", str(path)])
    assert result.exit_code == 0, result.output
    return Output(path)


def test_committed_fixture_is_reproducible(regenerated: Output) -> None:
    committed = sorted(p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file())
    assert Path("truth.json") in committed and Path("feeds/medical.csv") in committed
    for rel in committed:
        if rel.suffix == ".parquet":
            assert pq.read_table(FIXTURE / rel).equals(pq.read_table(regenerated.path / rel))
        elif rel.name != "README.md":
            assert (FIXTURE / rel).read_bytes() == (regenerated.path / rel).read_bytes(), rel


def test_committed_fixture_is_small() -> None:
    assert sum(p.stat().st_size for p in FIXTURE.rglob("*") if p.is_file()) < 2_000_000


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    def run(seed: int, name: str) -> dict[str, bytes]:
        pop = generate(persons=1500, counties=["440106"], seed=seed)
        paths = write_feeds(make_feeds(pop), tmp_path / name)
        return {k: p.read_bytes() for k, p in paths.items()}

    first, again, other = run(3, "a"), run(3, "b"), run(4, "c")
    assert first == again
    assert first["medical"] != other["medical"] and first["truth"] != other["truth"]


def test_headers_and_formats_follow_the_kind_declarations(regenerated: Output) -> None:
    patterns = {
        "money": r"\d+\.\d{2}",
        "date": r"\d{4}-\d{2}-\d{2}",
        "month": r"\d{4}-(0[1-9]|1[0-2])",
        "division": r"\d{6}|\d{9}|\d{12}",
        "sex": "男|女",
        "integer": r"\d+",
        "decimal": r"\d+\.\d+",
        "id_number": r"\d{17}[\dX]",
    }
    assert set(kinds()) == {p.stem for p in (regenerated.path / "feeds").glob("*.csv")}
    for kind, spec in kinds().items():
        raw = (regenerated.path / "feeds" / f"{kind}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), kind
        rows = regenerated.read(kind)
        assert rows, kind
        assert list(rows[0]) == [c["zh"] for c in spec["columns"]], kind
        for col in spec["columns"]:
            values = [r[col["zh"]] for r in rows]
            if col.get("required"):
                assert all(values), (kind, col["zh"])
            pattern = patterns.get(col["type"])
            for v in values:
                if v and pattern:
                    assert re.fullmatch(pattern, v), (kind, col["zh"], v)
                if v and col["type"] == "choice":
                    assert v in col["values"], (kind, col["zh"], v)
                if v and col["type"] == "date":
                    dt.date.fromisoformat(v)


@pytest.mark.parametrize("which", ["regenerated", "medium"])
def test_warnings_are_exactly_what_the_files_make_fire(
    which: str, request: pytest.FixtureRequest
) -> None:
    out: Output = request.getfixturevalue(which)
    planted = {
        (w["rule"], w["household" if w["rule"] in AGGREGATE else "person"])
        for w in out.truth["warnings"]
        if w["planted"]
    }
    assert planted <= fired(out)
    assert fired(out) == expected(out)
    rules = Counter(w["rule"] for w in out.truth["warnings"] if w["planted"])
    assert len(rules) == 8 and min(rules.values()) >= 3, rules


def test_warnings_name_registry_people(medium: Output) -> None:
    for w in medium.truth["warnings"]:
        person = medium.persons[w["person"]]
        assert person["household_ref"] == w["household"]
        assert person["id_number"] == w["id_number"] and person["name"] == w["name"]
        assert w["layer"] == medium.layer(w["person"])
        for key in w["evidence"].get("records", []):
            assert any(key in links for links in medium.truth["links"].values())


def test_background_alone_never_crosses_medical_burden(medium: Output) -> None:
    planted = {k for w in medium.truth["warnings"] for k in w["evidence"].get("records", [])}
    planted |= {k for d in medium.truth["discoveries"] for k in d["evidence"]["records"]}
    copies = set(medium.truth["copies"]["medical"])
    start = months_back(medium.as_of, 12)
    cost: Counter[str] = Counter()
    for row, ref in medium.records("medical"):
        key = row["结算单号"]
        if ref and key not in planted | copies and dt.date.fromisoformat(row["结算日期"]) > start:
            cost[ref.split("#")[0]] += fen(row["个人自付"])
    for h, s in cost.items():
        assert not (s > 2_000_000 and 2 * s > 12 * medium.households[h]["income"]), h
    accidental = [w for w in medium.truth["warnings"] if not w["planted"]]
    assert len(accidental) <= 0.1 * len(medium.truth["warnings"])


def test_people_outside_the_registry(medium: Output) -> None:
    medical = list(medium.records("medical"))
    outside = [row for row, ref in medical if ref is None]
    assert 0.001 < len(outside) / len(medical) < 0.006
    registry_ids = {p["id_number"] for p in medium.persons.values()}
    by_key = {row["结算单号"]: row for row in outside}
    assert len(medium.truth["discoveries"]) >= 2
    for d in medium.truth["discoveries"]:
        assert d["person"] is None and d["id_number"] not in registry_ids
        rows = [by_key[k] for k in d["evidence"]["records"]]
        assert sum(fen(r["个人自付"]) for r in rows) > 2_000_000
        assert all(
            months_back(medium.as_of, 12) < dt.date.fromisoformat(r["结算日期"]) for r in rows
        )


def test_noise_rates_within_tolerance(medium: Output) -> None:
    links = medium.truth["links"]
    total = sum(len(v) for v in links.values())
    tags = Counter(t for kind in medium.truth["noise"].values() for ts in kind.values() for t in ts)
    assert abs(tags["id_blank"] / total - 0.05) < 0.006, tags
    wrong = tags["id_wrong_digit"] + tags["id_other_valid"]
    assert abs(wrong / total - 0.01) < 0.003 and tags["id_other_valid"] > 0, tags
    typos = tags["name_homophone"] + tags["name_lookalike"]
    assert abs(typos / total - 0.02) < 0.004 and tags["name_lookalike"] > 0, tags
    again = sum(len(v) for v in medium.truth["redelivered"].values())
    copies = sum(len(v) for v in medium.truth["copies"].values())
    assert abs(again / total - 0.01) < 0.003 and abs(copies / total - 0.005) < 0.002


def test_files_carry_exactly_the_recorded_noise(medium: Output) -> None:
    from pypinyin import Style, lazy_pinyin

    from minzheng.identity.names import SURNAME_PINYIN

    def sound(c: str) -> str:
        return SURNAME_PINYIN.get(c) or lazy_pinyin(c, style=Style.NORMAL)[0]

    registry_ids = {p["id_number"] for p in medium.persons.values()}
    for kind in kinds():
        noise = medium.truth["noise"][kind]
        key_zh = next(
            c["zh"] for c in kinds()[kind]["columns"] if c["name"] == kinds()[kind]["key"]
        )
        for row, ref in medium.records(kind):
            if ref is None:
                continue
            tags, person = noise.get(row[key_zh], []), medium.persons[ref]
            got, true = row["公民身份号码"], person["id_number"] or ""
            if "id_blank" in tags:
                assert got == ""
            elif "id_wrong_digit" in tags:
                assert sum(a != b for a, b in zip(got, true, strict=True)) == 1
                assert not valid_id(got)
            elif "id_other_valid" in tags:
                assert valid_id(got) and got != true and got not in registry_ids
            else:
                assert got == true, (kind, row)
            name, true_name = row["姓名"], person["name"]
            if "name_homophone" in tags or "name_lookalike" in tags:
                diff = [(a, b) for a, b in zip(name, true_name, strict=True) if a != b]
                assert len(diff) == 1
                if "name_homophone" in tags:
                    assert sound(diff[0][0]) == sound(diff[0][1])
            else:
                assert name == true_name


def test_duplicates_repeat_the_record(medium: Output) -> None:
    rows = medium.read("medical")
    by_key: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_key[row["结算单号"]].append(row)
    for key in medium.truth["redelivered"]["medical"]:
        assert len(by_key[key]) == 2 and by_key[key][0] == by_key[key][1]
    for new, old in medium.truth["copies"]["medical"].items():
        a, b = dict(by_key[new][0]), dict(by_key[old][0])
        a.pop("结算单号"), b.pop("结算单号")
        assert a == b
        links = medium.truth["links"]["medical"]
        assert links[new] == links[old]

"""Record linkage (issue #6 part 3): exact ID join, then Splink on the rest (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from minzheng.identity.resident_id import InvalidId, make_id, parse
from minzheng.monitoring.linkage.config import LinkConfig, LinkConfigError, parse_config
from minzheng.monitoring.linkage.link import LinkResult, link_tables
from minzheng.monitoring.linkage.synthetic import _homophones, feed_rows, right_table

TODAY = dt.date(2024, 6, 30)
COUNTIES = ["440106", "440104"]
OTHER_COUNTY = "440303000000"  # 罗湖区, another prefecture


def config_doc(**thresholds: float) -> dict[str, Any]:
    return {
        "fields": {
            "left": {
                "id": "record_id",
                "id_number": "id_number",
                "name": "name",
                "sex": "sex",
                "birth_date": "birth_date",
                "division": "division_code",
            },
            "right": {
                "id": "person_key",
                "id_number": "id_number",
                "name": "name",
                "sex": "sex",
                "birth_date": "birth_date",
                "division": ["hukou_division", "residence_division"],
                "address": "address",
            },
        },
        "thresholds": {"accept": 0.95, "review": 0.5, **thresholds},
        "training": {"u_max_pairs": 200_000, "labelled_pairs": 5000},
    }


def _with_homophone(name: str) -> str | None:
    groups, reading = _homophones()
    for i in range(len(name) - 1, 0, -1):
        alike = [c for c in groups.get(reading.get(name[i], ""), ()) if c != name[i]]
        if alike:
            return name[:i] + alike[0] + name[i + 1 :]
    return None


def _other_date(born: dt.date) -> dt.date:
    """Same year, month and day both different (not a typo or a swap of ``born``)."""
    return dt.date(born.year, (born.month + 5) % 12 + 1, (born.day + 10) % 28 + 1)


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    """Synthetic registry persons, one damaged feed row each, and five crafted cases."""
    from minzheng.synth import generate

    persons = generate(persons=900, counties=COUNTIES, seed=11, as_of=TODAY).persons
    feed = feed_rows(persons, rows_per_person=1.0, seed=3)
    rows = feed.rows.set_column(
        0, "record_id", pc.cast(feed.rows.column("record_id"), pa.string())
    ).to_pylist()
    people = [p for p in persons.to_pylist() if p["id_number"] and _with_homophone(p["name"])]
    a, b, c, d, e = people[:5]
    digit = str((int(c["id_number"][8]) + 3) % 10)

    def row(key: str, p: dict[str, Any], **change: Any) -> dict[str, Any]:
        base = {"record_id": key, "id_number": p["id_number"], "name": p["name"], "sex": p["sex"],
                "birth_date": p["birth_date"], "division_code": p["residence_division"]}  # fmt: skip
        return base | change

    cases = {
        "exact": (row("case-exact", a), a),
        "no-id": (row("case-no-id", b, id_number=None), b),
        "corrupt": (row("case-corrupt", c, id_number=c["id_number"][:8] + digit + c["id_number"][9:]), c),
        "homophone": (row("case-homophone", d, id_number=None, name=_with_homophone(d["name"])), d),
        "impostor": (
            row("case-impostor", e, id_number=None, birth_date=_other_date(e["birth_date"]),
                division_code=OTHER_COUNTY),
            None,
        ),
    }  # fmt: skip
    left = pa.Table.from_pylist(rows + [r for r, _ in cases.values()], schema=feed.rows.schema.set(
        0, pa.field("record_id", pa.string())))  # fmt: skip
    truth = dict(zip(left.column("record_id").to_pylist(), feed.truth.to_pylist(), strict=False))
    truth |= {r["record_id"]: (p["person_key"] if p else None) for r, p in cases.values()}
    right = right_table(persons)
    config = parse_config(config_doc())
    return {
        "left": left,
        "right": right,
        "truth": truth,
        "cases": {k: r["record_id"] for k, (r, _) in cases.items()},
        "person": {k: (p["person_key"] if p else None) for k, (_, p) in cases.items()},
        "config": config,
        "result": link_tables(left, right, config, today=TODAY),
    }


def pairs_by_left(result: LinkResult) -> dict[str, dict[str, Any]]:
    return {p["left_id"]: p for p in result.pairs.to_pylist()}


def test_valid_id_joins_exactly(world: dict[str, Any]) -> None:
    pair = pairs_by_left(world["result"])[world["cases"]["exact"]]
    assert pair == {"left_id": "case-exact", "right_id": world["person"]["exact"],
                    "match_probability": 1.0, "method": "exact"}  # fmt: skip


@pytest.mark.parametrize("case", ["no-id", "corrupt", "homophone"])
def test_missing_corrupted_id_and_homophone_link_probabilistically(
    world: dict[str, Any], case: str
) -> None:
    pair = pairs_by_left(world["result"])[world["cases"][case]]
    assert pair["right_id"] == world["person"][case]
    assert pair["method"] == "probabilistic"
    assert pair["match_probability"] >= world["config"].accept


def test_same_name_and_birth_year_in_another_county_is_not_linked(world: dict[str, Any]) -> None:
    assert world["cases"]["impostor"] not in pairs_by_left(world["result"])


def test_f1_on_a_damaged_feed(world: dict[str, Any]) -> None:
    """5% missing and 1% corrupted IDs, homophones, typos, date errors: F1 ≥ 0.99."""
    accept = world["config"].accept
    truth = world["truth"]
    linked = {p["left_id"]: p["right_id"] for p in world["result"].pairs.to_pylist()
              if p["match_probability"] >= accept}  # fmt: skip
    tp = sum(1 for k, v in linked.items() if truth[k] == v)
    positives = sum(1 for v in truth.values() if v is not None)
    precision, recall = tp / len(linked), tp / positives
    assert 2 * precision * recall / (precision + recall) >= 0.99
    summary = world["result"].summary()
    assert summary["exact"] + summary["probabilistic"] + summary["review"] == summary["pairs"]
    assert 0 < summary["to_splink"] < 0.15 * summary["left_rows"]


def test_thresholds_route_weak_pairs_to_review(world: dict[str, Any]) -> None:
    config = parse_config(config_doc(review=1e-9))
    result = link_tables(world["left"], world["right"], config, today=TODAY)
    impostor = pairs_by_left(result)[world["cases"]["impostor"]]
    assert impostor["match_probability"] < config.accept
    counts = result.counts()
    below = pc.less(result.pairs.column("match_probability"), config.accept)
    assert counts["review"] == pc.sum(below).as_py() >= 1


def test_output_is_deterministic(world: dict[str, Any]) -> None:
    again = link_tables(world["left"], world["right"], world["config"], today=TODAY)
    assert again.pairs.equals(world["result"].pairs)
    assert again.model == world["result"].model


def test_m_is_learned_from_the_exact_matches(world: dict[str, Any]) -> None:
    model = world["result"].model
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    same = next(
        lv for lv in name["comparison_levels"] if lv["label_for_charts"] == "same characters"
    )
    assert 0.9 < same["m_probability"] < 1.0
    assert same["u_probability"] < 0.01


def test_id_validity_sql_agrees_with_the_identity_module() -> None:
    import duckdb

    from minzheng.monitoring.linkage.prepare import id_upgrade_sql, id_valid_sql

    good = make_id("440106", dt.date(1980, 2, 29), 123)
    samples = [good, good[:-1] + ("0" if good[-1] != "0" else "1"), good[:3] + "9" + good[4:],
               "440106800229123", make_id("110101", dt.date(1990, 1, 1), 9), "99" + good[2:],
               make_id("440106", dt.date(2030, 1, 1), 1), "44010619800230123X", "abc", ""]  # fmt: skip
    con = duckdb.connect()
    con.register("t", pa.table({"x": samples}))
    sql = f"SELECT {id_valid_sql('y', TODAY)} FROM (SELECT {id_upgrade_sql('x')} AS y FROM t)"
    got = [r[0] for r in con.sql(sql).fetchall()]

    def valid(x: str) -> bool:
        try:
            parse(x, today=TODAY)
        except InvalidId:
            return False
        return True

    assert got == [valid(x) for x in samples]


def test_pinyin_key_joins_homophones() -> None:
    from minzheng.monitoring.linkage.prepare import name_syllables

    assert name_syllables("张伟") == name_syllables("张玮") == ["zhang", "wei"]
    assert name_syllables("单丽") == ["shan", "li"]  # surname reading, not 单 dan
    assert name_syllables("欧阳娜娜")[:2] == ["ou", "yang"]


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"fields": {"left": {"nam": "x"}, "right": {}}}, "fields.left.nam"),
        ({"thresholds": {"accept": 0.4, "review": 0.6}}, "thresholds.review"),
        ({"thresholds": {"accept": 2}}, "thresholds.accept"),
        ({"blocking": [["birth_date", "postcode"]]}, "blocking[0]"),
        ({"training": {"seed": -1}}, "training.seed"),
        ({"fixed": {"name": {"m": [0.5]}}}, "fixed.name.m"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_config_names_the_key(doc: dict[str, Any], key: str) -> None:
    base = config_doc()
    with pytest.raises(LinkConfigError) as err:
        parse_config({**base, **doc} if "fields" not in doc else doc)
    assert err.value.key == key
    assert key in err.value.message and key in err.value.message_en


def test_default_config_file_is_valid() -> None:
    from minzheng.monitoring.linkage.config import load_config

    config = load_config()
    assert isinstance(config, LinkConfig)
    assert config.compared() == ["name", "birth_date", "sex", "division", "id_number"]

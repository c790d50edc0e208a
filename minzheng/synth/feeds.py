"""Synthetic department feeds with ground truth: who is linked to what, who must be warned.

``make_feeds(pop)`` draws, for a generated :class:`~minzheng.synth.Population`, one feed
per kind declared in ``minzheng/monitoring/feeds/kinds/*.yaml`` (≈3 rows per person), plants
the events that must raise warnings, adds noise at fixed rates and returns everything;
``write_feeds(fs, out)`` writes ``OUT/feeds/<kind>.csv`` (UTF-8 with BOM, the YAML ``zh``
headers, money in yuan with two decimals, dates YYYY-MM-DD, months YYYY-MM),
``OUT/layers.csv`` and ``OUT/truth.json``. Pure NumPy/pyarrow, deterministic by seed,
no Django. The truth comes from the events planted here, never from running a rule.

Identifiers in truth.json
    person: ``<household_ref>#<n>``, the household's ref (``Household.ref`` after
    ``population_load``) and the member's position in it (0 = head; the persons table
    order, which is also the order ``population_load`` inserts them, so ``n`` is the
    rank of the person's primary key within the household). household: the ref.
    Records of people outside the registry link to ``null``.

Layers (:mod:`minzheng.synth.layers`, written to ``OUT/layers.csv``)
    Each household is dibao, tekun, bianyuan or other, derived from registry income with
    the catalogue's default standards (urban 706.60, rural 524.90 yuan a month).
    "Low-income household" = dibao, tekun or bianyuan. The database holds no enrolments
    for a synthetic population: a loader must enrol from layers.csv.

Windows (as-of date A; "N months" = A minus N calendar months, day clipped)
    "within 3 months": A − 3 months < date ≤ A (planted events are 1–79 days back;
    background records that would match are ≥ 100 days back). "12 months": A − 12 months
    < date ≤ A. Wage months: the 12 calendar months ending with A's month.
    Duplicate keys count once; a copy under a new key counts as its own record.

Planted conditions (each on a household no other event uses; "member" = registry person)
    medical_burden — household H: S = Σ 个人自付 of medical records of H's members in the
        12-month window; fires iff S > 20,000.00 yuan AND 2·S > 12 × (H's total monthly
        registry income, all kinds). Planted: 2–4 records (one 住院, follow-ups 门诊慢特病)
        1–329 days back on one member, taking S to 1.15–1.8 × max(20,000, 6 × monthly
        income); only households whose threshold is ≤ 250,000 yuan. Background
        costs are scaled to stay ≤ 80% of that; any household crossing anyway (copies add
        up) is in the warnings with ``"planted": false``.
    death_in_assistance — a death record (死亡日期 within 3 months) of a member of a dibao
        or tekun household.
    severe_disability — a disability record, 变动类型 发证 or 换证, 残疾等级 1 or 2, 变动日期
        within 3 months, of a member of a low-income household (planted on people not at
        grade 1–2 in the registry).
    main_earner_unemployed — an unemployment record, 登记状态 登记, 登记日期 within 3 months,
        of the household's highest-income member (registry monthly income, all kinds,
        > 0; ties: lowest position) in a low-income household (planted at ages 16–59).
    school_dropout — a school record 辍学 within 3 months of a member of a low-income
        household (planted on pupils under 18).
    house_destroyed — a disaster record with 房屋损毁程度 倒塌 or 严重损坏, 受灾日期 within
        3 months, of a member of a low-income household.
    new_asset_enrolled — a vehicle record (小型汽车 or 大型汽车) or a real-estate record
        (用途 住宅) with 登记日期 within 3 months of a member of a dibao household (planted
        on adults).
    eligible_not_enrolled — household H not dibao and not tekun, with at least one wage
        record of a member in the wage months; per member: W = Σ 收入额 of their wage
        records in those months if they have any, else 12 × registry wage; V = Σ over
        members (W + 12 × registry non-wage income); fires iff V < 12 × standard × size
        (standard by H's urban flag, layers.py). Planted: one working-age earner's wage
        records are replaced by 12 monthly records (≥ 300 yuan each) bringing V to at
        most 85% of the bound.
    Outside the registry: ~0.2% of medical records belong to invented people (link null);
    those with Σ 个人自付 > 20,000.00 in 12 months (planted on a few) are ``"discoveries"``,
    with their true ID number and name and the keys of all their records in the window.
    Every warning's evidence lists the keys of its planted records (``records``) and the
    latest record date; aggregate rules add their sums.

Noise (:mod:`minzheng.synth.feed_noise`, rates in truth.json): 5% ID blank, 1% one wrong
digit (a fifth of those re-checked into another valid-looking ID), 2% names with a
homophone or look-alike character, 1% records delivered twice under the same key, 0.5%
copied under a new key (never on planted households).

truth.json (:mod:`minzheng.synth.feed_truth`): ``as_of``, ``seed``, ``rates``, ``rules``
(the constants above), ``layers`` (counts), ``warnings`` and ``discoveries`` (rule,
planted, person, household, true id_number and name, layer, evidence), ``links``
(kind → key → person or null), ``noise`` (kind → key → tags), ``copies`` (kind → new
key → original key) and ``redelivered`` (kind → keys sent twice).
tests/synth/test_feeds.py recomputes every rule from the files and finds exactly the
warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import feed_background as bgd
from minzheng.synth import feed_noise as noise
from minzheng.synth.arrow import concat, digits, fen_to_yuan
from minzheng.synth.build import Streams
from minzheng.synth.feed_events import (
    Event,
    Planter,
    cap_medical,
    plant_all,
)
from minzheng.synth.feed_rows import Batch, concat_batches, date_text, day_of, people
from minzheng.synth.feed_truth import dump_truth, judge, truth
from minzheng.synth.generate import Population
from minzheng.synth.layers import LAYERS, household_layers

KINDS_DIR = Path(__file__).resolve().parent.parent / "monitoring" / "feeds" / "kinds"
OUTSIDER_SHARE = 0.002  # of medical records
KEY_PREFIX = {
    "business": "SCDJ", "death": "SWZM", "disability": "CJBD", "disaster": "ZHJL",
    "medical": "YBJS", "real_estate": "BDCDJ", "rr_monitoring": "FPJC", "school": "XJBD",
    "social_insurance": "SBFF", "unemployment": "SYDJ", "vehicle": "JDCDJ",
    "wage_income": "GSSB",
}  # fmt: skip
RATES = noise.RATES


@dataclass(frozen=True)
class Kind:
    name: str
    key: str
    date: str
    columns: tuple[tuple[str, str, str], ...]  # (name, zh, type)


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    """The feed kinds declared in the monitoring app's YAML files."""
    import yaml

    out = {}
    for path in sorted(KINDS_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        cols = tuple((c["name"], c["zh"], c["type"]) for c in spec["columns"])
        out[spec["kind"]] = Kind(spec["kind"], spec["key"], spec["date"], cols)
    return out


@dataclass
class Feed:
    """One kind's delivered rows (file order): batch, keys, identity after noise."""

    batch: Batch
    key: pa.Array
    identity: noise.Identity
    copy_of: pa.Array  # original key of a copy under a new key, else null
    redelivered: np.ndarray  # bool: second delivery of an already delivered key


@dataclass
class FeedSet:
    pop: Population
    world: bgd.World
    feeds: dict[str, Feed]
    events: list[Event]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    discoveries: list[dict[str, Any]] = field(default_factory=list)


def make_feeds(pop: Population) -> FeedSet:
    """Background records, planted events and noise for ``pop`` (same seed → same feeds)."""
    streams = Streams(pop.seed, pop.province)
    layers = household_layers(pop)
    outsiders = max(5, int(np.ceil(pop.persons.num_rows * 0.0008)))
    w = bgd.World(
        pop, layers, people(streams["feeds.people"], pop, layers, outsiders),
        day_of(pop.as_of), streams,
    )  # fmt: skip
    batches = background(w)
    planter = Planter(w, alive=w.died[: w.n] > w.as_of)
    batches["wage_income"] = plant_all(planter, batches["medical"], batches["wage_income"])
    registry_ids = set(pc.drop_null(pop.persons.column("id_number")).to_pylist())
    feeds = {}
    for kind in kinds():
        batch = concat_batches([batches[kind], *planter.batches.get(kind, [])])
        feeds[kind] = deliver(w, kind, batch, planter.used, registry_ids)
    fs = FeedSet(pop, w, feeds, planter.events)
    judge(fs)
    return fs


def background(w: bgd.World) -> dict[str, Batch]:
    """Every kind's background rows; nobody has records after their death."""
    out = {
        "medical": bgd.medical(w, OUTSIDER_SHARE / (1 - OUTSIDER_SHARE)),
        "wage_income": bgd.wage_income(w),
        "social_insurance": bgd.social_insurance(w),
        "vehicle": bgd.vehicle(w),
        "real_estate": bgd.real_estate(w),
        "business": bgd.business(w),
        "school": bgd.school(w),
        "disability": bgd.disability(w),
        "unemployment": bgd.unemployment(w),
        "disaster": bgd.disaster(w),
        "rr_monitoring": bgd.rr_monitoring(w),
    }
    out["death"], w.died = bgd.death(w)
    for kind, batch in out.items():
        if kind != "death":
            out[kind] = batch.take(np.flatnonzero(batch.day <= w.died[batch.who]))
    out["medical"] = cap_medical(w, out["medical"])
    return out


def deliver(
    w: bgd.World, kind: str, batch: Batch, used: np.ndarray, registry_ids: set[str]
) -> Feed:
    """Order, key, add noise and duplicates to one kind's rows."""
    rng = w.rng(f"deliver.{kind}")
    n = len(batch)
    batch = batch.take(np.lexsort((rng.random(n), batch.who, batch.day)))
    ident = noise.apply(
        rng,
        w.people.id_number.take(pa.array(batch.who)),
        w.people.name.take(pa.array(batch.who)),
        registry_ids,
    )
    key = concat(KEY_PREFIX[kind], digits(np.arange(1, n + 1), 10))
    hh = w.people.hh[batch.who]
    protected = (hh >= 0) & used[np.maximum(hh, 0)]
    again = np.flatnonzero(rng.random(n) < noise.REDELIVERED)
    copied = np.flatnonzero((rng.random(n) < noise.COPIED) & ~protected)
    rows = np.concatenate([np.arange(n), again, copied])
    new_keys = concat(KEY_PREFIX[kind], digits(np.arange(n + 1, n + 1 + len(copied)), 10))
    keys = pa.concat_arrays([key, key.take(pa.array(again)), new_keys])
    copy_of = pa.concat_arrays([pa.nulls(n + len(again), pa.string()), key.take(pa.array(copied))])
    redelivered = np.repeat([False, True, False], [n, len(again), len(copied)])
    out = batch.take(rows)
    assert out.event is not None
    out.event[n + len(again) :] = -1
    order = np.lexsort((rng.random(len(rows)), out.day))
    at = pa.array(order)
    return Feed(
        out.take(order),
        keys.take(at),
        noise.Identity(
            ident.id_number.take(pa.array(rows)).take(at),
            ident.name.take(pa.array(rows)).take(at),
            ident.tags[rows][order],
        ),
        copy_of.take(at),
        redelivered[order],
    )


def write_feeds(fs: FeedSet, out_dir: Path) -> dict[str, Path]:
    """Write ``feeds/<kind>.csv``, ``layers.csv`` and ``truth.json`` under ``out_dir``."""
    import pyarrow.csv as pacsv

    out_dir = Path(out_dir)
    (out_dir / "feeds").mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    options = pacsv.WriteOptions(quoting_style="needed")
    tables = {kind: feed_table(fs, kind) for kind in kinds()}
    tables["layers"] = layers_table(fs)
    for kind, table in tables.items():
        paths[kind] = out_dir / ("feeds" if kind != "layers" else "") / f"{kind}.csv"
        with open(paths[kind], "wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, fh, write_options=options)
    paths["truth"] = out_dir / "truth.json"
    paths["truth"].write_text(dump_truth(truth(fs)), encoding="utf-8")
    return paths


def feed_table(fs: FeedSet, kind: str) -> pa.Table:
    """One kind's rows with the YAML's Chinese headers, every value as text."""
    spec, feed, w = kinds()[kind], fs.feeds[kind], fs.world
    given = {
        "id_number": feed.identity.id_number,
        "name": feed.identity.name,
        "sex": pa.array(np.where(w.people.male[feed.batch.who], "男", "女").tolist(), pa.string()),
        "birth_date": date_text(w.people.birth_days[feed.batch.who]),
        spec.date: date_text(feed.batch.day, month=_type(spec, spec.date) == "month"),
        spec.key: feed.key,
    }
    columns = []
    for name, _, typ in spec.columns:
        value = given[name] if name in given else feed.batch.cols[name]
        columns.append(as_text(value, typ))
    return pa.Table.from_arrays(columns, names=[zh for _, zh, _ in spec.columns])


def _type(spec: Kind, name: str) -> str:
    return next(t for n, _, t in spec.columns if n == name)


def as_text(value: pa.Array, typ: str) -> pa.Array:
    """A column in the file's text form (nulls stay empty)."""
    if pa.types.is_string(value.type):
        return value
    valid = pc.is_valid(value)
    raw = pc.fill_null(value, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if typ == "money":
        text = fen_to_yuan(raw)
    elif typ in ("date", "month"):
        text = date_text(raw, month=typ == "month")
    else:
        text = pc.cast(pa.array(raw), pa.string())
    return pc.if_else(valid, text, pa.scalar(None, pa.string()))


def layers_table(fs: FeedSet) -> pa.Table:
    lay = fs.world.layers
    return pa.table(
        {
            "household_ref": fs.pop.households.column("household_ref"),
            "layer": pa.array([LAYERS[i] for i in lay.layer], pa.string()),
            "size": pa.array(lay.size),
            "monthly_income": fen_to_yuan(lay.income_fen),
            "dibao_standard": fen_to_yuan(lay.standard_fen),
        }
    )

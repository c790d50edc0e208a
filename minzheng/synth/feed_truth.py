"""The truth of a set of synthetic feeds: warnings, discoveries, links and noise tags.

Planted events are the warnings; the aggregate rules (medical_burden,
eligible_not_enrolled) are also summed over the delivered rows so that a household
that crosses without a planted event (a copied record adds up) is a warning too, with
``"planted": false``. See :mod:`minzheng.synth.feeds` for the conditions.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from minzheng.synth import feed_background as bgd
from minzheng.synth import feed_noise as noise
from minzheng.synth.arrow import fen_to_yuan
from minzheng.synth.feed_events import (
    FLOOR_FEN,
    INCOME_SHARE_PCT,
    Event,
    medical_sums,
    medical_threshold,
    verified_income12,
    window_start,
)
from minzheng.synth.feed_rows import Batch, date_text
from minzheng.synth.layers import DIBAO, LAYERS, TEKUN

if TYPE_CHECKING:
    from minzheng.synth.feeds import Feed, FeedSet


def distinct(feed: Feed) -> Batch:
    """The rows a correct importer keeps (one per key)."""
    return feed.batch.take(np.flatnonzero(~feed.redelivered))


def judge(fs: FeedSet) -> None:
    """Warnings (planted events, plus aggregate crossings nobody planted) and discoveries."""
    w = fs.world
    medical_feed = fs.feeds["medical"]
    medical, wages = distinct(medical_feed), distinct(fs.feeds["wage_income"])
    per_hh, per_person = medical_sums(w, medical)
    limit = medical_threshold(w)
    income12, fed = verified_income12(w, wages)
    lay = w.layers
    hh_v = np.bincount(lay.hh, weights=income12, minlength=len(lay.size)).astype(np.int64)
    hh_fed = np.bincount(lay.hh, weights=fed, minlength=len(lay.size)) > 0
    bound = lay.standard_fen * lay.size * 12
    eligible = hh_fed & ~np.isin(lay.layer, (DIBAO, TEKUN)) & (hh_v < bound)
    crossing = (per_hh > FLOOR_FEN) & (per_hh * 2 > lay.income_fen * 12)
    records = event_records(fs)
    planted: dict[str, set[int]] = {}
    for i, ev in enumerate(fs.events):
        keys, last = records.get(i, ([], 0))
        evidence: dict[str, Any] = {"records": keys, "date": day_text(last)}
        if ev.rule == "medical_burden":
            evidence |= medical_evidence(w, ev, per_hh, per_person, limit)
        elif ev.rule == "eligible_not_enrolled":
            evidence |= eligible_evidence(w, ev, hh_v, bound)
        if ev.household < 0:
            evidence["records"] = person_records(w, medical_feed, ev.person)
        entry = {"rule": ev.rule, "planted": True, **who(w, ev.person), "evidence": evidence}
        (fs.discoveries if ev.household < 0 else fs.warnings).append(entry)
        planted.setdefault(ev.rule, set()).add(ev.household)
    _check(planted, crossing, eligible)
    extra = [("medical_burden", h) for h in np.flatnonzero(crossing)]
    extra += [("eligible_not_enrolled", h) for h in np.flatnonzero(eligible)]
    for rule, h in extra:
        if int(h) in planted.get(rule, set()):
            continue
        members = np.flatnonzero(lay.hh == h)
        p = int(members[np.argmax(per_person[members])])
        ev = Event(rule, p, int(h))
        evidence = (
            medical_evidence(w, ev, per_hh, per_person, limit)
            if rule == "medical_burden"
            else eligible_evidence(w, ev, hh_v, bound)
        )
        fs.warnings.append({"rule": rule, "planted": False, **who(w, p), "evidence": evidence})
    outs = w.people.outsiders
    for p in outs[per_person[outs] > FLOOR_FEN]:
        if not any(d["id_number"] == w.people.id_number[int(p)].as_py() for d in fs.discoveries):
            fs.discoveries.append({"rule": "medical_burden", "planted": False, **who(w, int(p)),
                                   "evidence": {"out_of_pocket_12m": _yuan(per_person[p]),
                                                "records": person_records(w, medical_feed, p)}})  # fmt: skip
    fs.warnings.sort(key=lambda x: (x["rule"], x["household"], x["person"]))
    fs.discoveries.sort(key=lambda x: x["id_number"])


def _check(planted: dict[str, set[int]], crossing: np.ndarray, eligible: np.ndarray) -> None:
    """Planted aggregate events must hold on the delivered rows (a generator bug if not)."""
    for rule, fires in (("medical_burden", crossing), ("eligible_not_enrolled", eligible)):
        missing = [h for h in planted.get(rule, set()) if h >= 0 and not fires[h]]
        if missing:
            raise AssertionError(f"{rule}: planted households do not fire: {missing[:5]}")


def event_records(fs: FeedSet) -> dict[int, tuple[list[str], int]]:
    """Event index → the keys of its records (first deliveries) and the latest day."""
    keys: dict[int, list[str]] = {}
    last: dict[int, int] = {}
    for feed in fs.feeds.values():
        assert feed.batch.event is not None
        rows = np.flatnonzero((feed.batch.event >= 0) & ~feed.redelivered)
        found = feed.key.take(pa.array(rows)).to_pylist()
        for ev, day, key in zip(feed.batch.event[rows], feed.batch.day[rows], found, strict=True):
            keys.setdefault(int(ev), []).append(key)
            last[int(ev)] = max(last.get(int(ev), 0), int(day))
    return {k: (sorted(v), last[k]) for k, v in keys.items()}


def person_records(w: bgd.World, feed: Feed, p: int) -> list[str]:
    """Keys of person ``p``'s medical records in the 12-month window (first deliveries)."""
    rows = (feed.batch.who == p) & ~feed.redelivered & (feed.batch.day > window_start(w, 12))
    return sorted(feed.key.filter(pa.array(rows)).to_pylist())


def who(w: bgd.World, p: int) -> dict[str, Any]:
    hh = int(w.people.hh[p])
    ref = w.people.ref[p].as_py()
    return {
        "person": ref,
        "household": ref.split("#")[0] if ref else None,
        "id_number": w.people.id_number[p].as_py(),
        "name": w.people.name[p].as_py(),
        **({"layer": LAYERS[w.layers.layer[hh]]} if hh >= 0 else {}),
    }


def _yuan(fen: Any) -> str:
    return str(fen_to_yuan(np.array([int(fen)]))[0])


def medical_evidence(
    w: bgd.World,
    ev: Event,
    per_hh: np.ndarray,
    per_person: np.ndarray,
    limit: np.ndarray,
) -> dict[str, Any]:
    if ev.household < 0:
        return {"out_of_pocket_12m": _yuan(per_person[ev.person]), "floor": _yuan(FLOOR_FEN)}
    h = ev.household
    return {
        "out_of_pocket_12m": _yuan(per_hh[h]),
        "annual_income": _yuan(w.layers.income_fen[h] * 12),
        "threshold": _yuan(limit[h]),
        "floor": _yuan(FLOOR_FEN),
        "income_share_pct": INCOME_SHARE_PCT,
    }


def eligible_evidence(
    w: bgd.World, ev: Event, hh_v: np.ndarray, bound: np.ndarray
) -> dict[str, Any]:
    h = ev.household
    size = int(w.layers.size[h])
    return {
        "verified_income_12m": _yuan(hh_v[h]),
        "per_capita_monthly": _yuan(hh_v[h] // (12 * size)),
        "dibao_standard": _yuan(w.layers.standard_fen[h]),
        "size": size,
    }


def truth(fs: FeedSet) -> dict[str, Any]:
    """The truth.json document."""
    w = fs.world
    as_of = fs.pop.as_of
    months = bgd.month_starts_of(w, "wage_income")
    links: dict[str, dict[str, str | None]] = {}
    tagged: dict[str, dict[str, list[str]]] = {}
    copies: dict[str, dict[str, str]] = {}
    again: dict[str, list[str]] = {}
    for kind, feed in fs.feeds.items():
        first = np.flatnonzero(~feed.redelivered)
        keys = feed.key.take(pa.array(first)).to_pylist()
        refs = w.people.ref.take(pa.array(feed.batch.who[first])).to_pylist()
        links[kind] = dict(zip(keys, refs, strict=True))
        tags = feed.identity.tags[first]
        tagged[kind] = {k: noise.tag_names(int(t)) for k, t in zip(keys, tags, strict=True) if t}
        origin = feed.copy_of.take(pa.array(first)).to_pylist()
        copies[kind] = {k: o for k, o in zip(keys, origin, strict=True) if o}
        again[kind] = sorted(feed.key.filter(pa.array(feed.redelivered)).to_pylist())
    return {
        "as_of": as_of.isoformat(),
        "seed": fs.pop.seed,
        "generator": "minzheng.synth.feeds",
        "id_scheme": "person = <household_ref>#<position in household, 0 = head>",
        "rates": noise.RATES,
        "rules": {
            "medical_floor": _yuan(FLOOR_FEN),
            "medical_income_share_pct": INCOME_SHARE_PCT,
            "dibao_standard": {"urban": "706.60", "rural": "524.90"},
            "recent_after": day_text(window_start(w, 3)),
            "year_after": day_text(window_start(w, 12)),
            "wage_months": date_text(months[[0, -1]], month=True).to_pylist(),
        },
        "layers": {name: int((w.layers.layer == i).sum()) for i, name in enumerate(LAYERS)},
        "warnings": fs.warnings,
        "discoveries": fs.discoveries,
        "links": links,
        "noise": tagged,
        "copies": copies,
        "redelivered": again,
    }


def day_text(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


def dump_truth(doc: dict[str, Any]) -> str:
    """JSON with one line per top-level item, warning or kind (fast and diffable)."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for name, value in doc.items():
        if isinstance(value, list) and name in ("warnings", "discoveries"):
            inner = ",\n".join(one(v) for v in value)
            lines.append(f"{one(name)}: [\n{inner}\n]" if value else f"{one(name)}: []")
        elif name in ("links", "noise", "copies", "redelivered"):
            inner = ",\n".join(f"{one(k)}: {one(v)}" for k, v in value.items())
            lines.append(f"{one(name)}: {{\n{inner}\n}}")
        else:
            lines.append(f"{one(name)}: {one(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"

"""Planted events: the records that must make a warning rule fire, and why.

Each event picks a person of a household no other event has used (so events never
interfere), adds the feed records that satisfy the rule's condition (see
:mod:`minzheng.synth.feeds`) and keeps the numbers as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from minzheng.synth.arrow import concat, digits, pick
from minzheng.synth.feed_background import (
    DISABILITY_TYPES,
    DISASTERS,
    FEN,
    PLATE_CHARS,
    World,
    company_names,
    disaster_rows,
    medical_rows,
    month_starts_of,
    school_names,
)
from minzheng.synth.feed_rows import Batch, day_of, months_back
from minzheng.synth.layers import BIANYUAN, DIBAO, TEKUN

FLOOR_FEN = 20_000 * FEN  # medical_burden: absolute floor of 12-month out-of-pocket cost
INCOME_SHARE_PCT = 50  # … and above this share of the household's annual income
RECENT_DAYS = 80  # planted "within 3 months" events happen 1–79 days before as-of
#: Events per household of the population, at least MIN_EVENTS (if enough candidates).
EVENT_RATES = {
    "medical_burden": 0.004,
    "death_in_assistance": 0.002,
    "severe_disability": 0.002,
    "main_earner_unemployed": 0.002,
    "school_dropout": 0.001,
    "house_destroyed": 0.001,
    "new_asset_enrolled": 0.002,
    "eligible_not_enrolled": 0.003,
}
MIN_EVENTS = 3
DISCOVERY_SHARE = 0.05  # of the outsiders, at least 2: large costs outside the registry


@dataclass
class Event:
    rule: str
    person: int  # People row
    household: int  # household row, -1 outside the registry
    evidence: dict[str, Any] = field(default_factory=dict)


def medical_threshold(w: World) -> np.ndarray:
    """Per household: the 12-month out-of-pocket sum (fen) it must exceed to fire."""
    annual = w.layers.income_fen * 12
    return np.maximum(FLOOR_FEN, annual * INCOME_SHARE_PCT // 100)


def window_start(w: World, months: int) -> int:
    """Day number of as_of minus ``months``: windows are (start, as_of]."""
    return day_of(months_back(w.pop.as_of, months))


def medical_sums(w: World, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """12-month out-of-pocket sums (fen): per household, and per People row."""
    fen = batch.cols["out_of_pocket_fen"].to_numpy(zero_copy_only=False).astype(np.int64)
    inside = batch.day > window_start(w, 12)
    per_person = np.bincount(
        batch.who[inside], weights=fen[inside], minlength=len(w.people.hh)
    ).astype(np.int64)
    reg = per_person[: w.n]
    per_hh = np.bincount(w.layers.hh, weights=reg, minlength=len(w.layers.size)).astype(np.int64)
    return per_hh, per_person


def cap_medical(w: World, batch: Batch) -> Batch:
    """Scale background costs down where a household (or outsider) would cross the rule."""
    per_hh, per_person = medical_sums(w, batch)
    limit = medical_threshold(w) * 8 // 10
    factor_hh = np.where(per_hh > limit, limit / np.maximum(per_hh, 1), 1.0)
    factor = np.ones(len(w.people.hh))
    factor[: w.n] = factor_hh[w.layers.hh]
    outs = w.people.outsiders
    over = per_person[outs] > FLOOR_FEN * 8 // 10
    factor[outs[over]] = FLOOR_FEN * 8 // 10 / per_person[outs[over]]
    inside = batch.day > window_start(w, 12)
    f = np.where(inside, factor[batch.who], 1.0)
    cols = dict(batch.cols)
    for name in ("out_of_pocket_fen", "total_fen"):
        fen = cols[name].to_numpy(zero_copy_only=False)
        cols[name] = np.floor(fen * f).astype(np.int64)
    return Batch(batch.who, batch.day, cols, batch.event)


class Planter:
    """Chooses people for events and builds their records."""

    def __init__(self, w: World, alive: np.ndarray) -> None:
        self.w = w
        self.rng = w.rng("events")
        self.alive = alive  # per registry person
        self.used = np.zeros(len(w.layers.size), dtype=bool)
        self.events: list[Event] = []
        self.batches: dict[str, list[Batch]] = {}

    @property
    def hh(self) -> np.ndarray:
        return self.w.layers.hh

    def count(self, rule: str) -> int:
        return max(MIN_EVENTS, round(EVENT_RATES[rule] * len(self.w.layers.size)))

    def choose(self, rule: str, candidates: np.ndarray) -> np.ndarray:
        """Up to count(rule) persons from boolean ``candidates``, one per unused household."""
        ok = candidates & self.alive & ~self.used[self.hh]
        idx = np.flatnonzero(ok)
        idx = idx[self.rng.permutation(len(idx))]
        _, first = np.unique(self.hh[idx], return_index=True)
        idx = idx[np.sort(first)][: self.count(rule)]
        chosen = np.sort(idx)
        self.used[self.hh[chosen]] = True
        return chosen

    def add(self, kind: str, rule: str, who: np.ndarray, batch: Batch) -> list[Event]:
        """Register one event per person of ``who``; ``batch`` rows carry ``batch.event``
        as positions into ``who``."""
        base = len(self.events)
        new = [Event(rule, int(p), int(self.w.people.hh[p])) for p in who]
        self.events.extend(new)
        assert batch.event is not None
        batch.event = batch.event + base
        self.batches.setdefault(kind, []).append(batch)
        return new

    def recent(self, n: int) -> np.ndarray:
        return self.w.as_of - self.rng.integers(1, RECENT_DAYS, n)

    def one_row(self, kind: str, rule: str, who: np.ndarray, days: np.ndarray,
                cols: dict[str, Any]) -> list[Event]:  # fmt: skip
        division = self.w.people.county.take(pa.array(who, pa.int64()))
        batch = Batch(who, days, {"division": division, **cols}, np.arange(len(who)))
        return self.add(kind, rule, who, batch)


def plant_all(p: Planter, medical: Batch, wages: Batch) -> Batch:
    """Every rule's events; returns the wage batch without the replaced wage rows."""
    medical_burden(p, medical)
    discoveries(p, medical)
    death_in_assistance(p)
    severe_disability(p)
    main_earner_unemployed(p)
    school_dropout(p)
    house_destroyed(p)
    new_asset_enrolled(p)
    return eligible_not_enrolled(p, wages)


def in_layers(p: Planter, *layers: int) -> np.ndarray:
    """Per registry person: the household is in one of ``layers``."""
    return np.isin(p.w.layers.layer[p.hh], layers)


def medical_burden(p: Planter, medical: Batch) -> None:
    """A large hospital bill and follow-ups taking the household past its threshold."""
    w = p.w
    per_hh, _ = medical_sums(w, medical)
    limit = medical_threshold(w)
    fits = (per_hh <= limit) & (limit <= 250_000 * FEN)
    who = p.choose("medical_burden", fits[p.hh] & (w.age >= 1))
    target = (limit * p.rng.uniform(1.15, 1.8, len(limit))).astype(np.int64)[p.hh[who]]
    need = target - per_hh[p.hh[who]]
    p.add("medical", "medical_burden", who, big_bills(p, who, need))


def big_bills(p: Planter, who: np.ndarray, need: np.ndarray) -> Batch:
    """Per person an inpatient bill and 1–3 follow-ups whose out-of-pocket costs sum to
    ``need`` fen, within the last 11 months."""
    rng, w = p.rng, p.w
    k = 2 + rng.integers(0, 3, len(who))
    ev = np.repeat(np.arange(len(who)), k)
    first = np.ones(len(ev), dtype=bool)
    first[1:] = ev[1:] != ev[:-1]
    weight = np.where(first, 6.0, 1.0) * rng.uniform(0.5, 1.5, len(ev))
    total_w = np.bincount(ev, weights=weight)
    oop = np.floor(need[ev] * weight / total_w[ev]).astype(np.int64)
    oop[np.flatnonzero(first)] += need - np.bincount(ev, weights=oop).astype(np.int64)
    days = w.as_of - rng.integers(1, 330, len(ev))
    batch = medical_rows(rng, w, who[ev], days, np.ones(len(ev), dtype=bool), inpatient=0.0)
    share = np.where(first, rng.uniform(0.35, 0.6, len(ev)), rng.uniform(0.5, 0.9, len(ev)))
    batch.cols["out_of_pocket_fen"] = pa.array(oop)
    batch.cols["total_fen"] = pa.array(np.ceil(oop / share).astype(np.int64))
    visit = np.where(first, "住院", "门诊慢特病")
    batch.cols["visit_type"] = pa.array(visit.tolist(), pa.string())
    batch.cols["diagnosis"] = pa.array(
        np.array(["恶性肿瘤", "脑出血", "急性心肌梗死", "尿毒症", "重症肺炎"])[
            rng.integers(0, 5, len(ev))
        ].tolist(), pa.string(),
    )  # fmt: skip
    batch.event = ev
    return batch


def discoveries(p: Planter, medical: Batch) -> None:
    """Large costs of people outside the registry (reported as discoveries)."""
    w = p.w
    _, per_person = medical_sums(w, medical)
    outs = w.people.outsiders
    n = min(len(outs), max(2, round(DISCOVERY_SHARE * len(outs))))
    who = np.sort(p.rng.choice(outs, n, replace=False))
    target = (FLOOR_FEN * p.rng.uniform(1.15, 2.0, n)).astype(np.int64)
    p.add("medical", "medical_burden", who, big_bills(p, who, target - per_person[who]))


def death_in_assistance(p: Planter) -> None:
    w = p.w
    who = p.choose("death_in_assistance", in_layers(p, DIBAO, TEKUN) & (w.age >= 50))
    cause = np.array(["恶性肿瘤", "心脑血管疾病", "呼吸系统疾病", "意外伤害"])
    p.one_row("death", "death_in_assistance", who, p.recent(len(who)), {
        "cause": pa.array(cause[p.rng.integers(0, 4, len(who))].tolist(), pa.string()),
    })  # fmt: skip


def severe_disability(p: Planter) -> None:
    """A first certificate, or a renewal from grade 3–4, at grade 1 or 2."""
    w = p.w
    grade = np.array([int(g or 0) for g in w.column("disability_grade")])
    cat = np.array([int(c or 0) for c in w.column("disability_category")])
    who = p.choose("severe_disability", in_layers(p, DIBAO, TEKUN, BIANYUAN) & (grade != 1)
                   & (grade != 2) & (w.age >= 1))  # fmt: skip
    new_grade = np.where(p.rng.random(len(who)) < 0.35, 1, 2)
    c = np.where(cat[who] > 0, cat[who], p.rng.integers(1, 8, len(who)))
    ident = w.people.id_number.take(pa.array(who, pa.int64()))
    p.one_row("disability", "severe_disability", who, p.recent(len(who)), {
        "change": pick(["发证", "换证"], (grade[who] > 0).astype(np.int64)),
        "category": pick(DISABILITY_TYPES, c - 1),
        "grade": pa.array(new_grade),
        "certificate_no": concat(ident, digits(c), digits(new_grade)),
    })  # fmt: skip


def main_earner_unemployed(p: Planter) -> None:
    w = p.w
    low = in_layers(p, DIBAO, TEKUN, BIANYUAN)
    who = p.choose("main_earner_unemployed", low & w.top_earner & (w.age >= 16) & (w.age < 60))
    p.one_row("unemployment", "main_earner_unemployed", who, p.recent(len(who)),
              {"status": pa.array(["登记"] * len(who), pa.string())})  # fmt: skip


def school_dropout(p: Planter) -> None:
    w = p.w
    sch = w.column("schooling")
    pupil = np.isin(sch, ["primary", "junior", "senior", "vocational"]) & (w.age < 18)
    who = p.choose("school_dropout", in_layers(p, DIBAO, TEKUN, BIANYUAN) & pupil)
    p.one_row("school", "school_dropout", who, p.recent(len(who)), {
        "event": pa.array(["辍学"] * len(who), pa.string()),
        "school": school_names(w, who, np.full(len(who), 2)),
        "aid_fen": pa.nulls(len(who), pa.int64()),
    })  # fmt: skip


def house_destroyed(p: Planter) -> None:
    """Collapse or severe damage in one of the recent named disasters."""
    w = p.w
    who = p.choose("house_destroyed", in_layers(p, DIBAO, TEKUN, BIANYUAN))
    recent = np.array([i for i, (back, _) in enumerate(DISASTERS) if back < RECENT_DAYS])
    ev = recent[p.rng.integers(0, len(recent), len(who))]
    damage = p.rng.integers(0, 2, len(who))
    batch = disaster_rows(p.rng, w, who, ev, damage)
    batch.event = np.arange(len(who))
    p.add("disaster", "house_destroyed", who, batch)


def new_asset_enrolled(p: Planter) -> None:
    """A car (小型/大型汽车) or a home (住宅) registered to a member of a dibao household."""
    w, rng = p.w, p.rng
    who = p.choose("new_asset_enrolled", in_layers(p, DIBAO) & (w.age >= 18))
    car = rng.random(len(who)) < 0.5
    cars, homes = who[car], who[~car]
    plate = concat("粤A", *(pick(PLATE_CHARS, rng.integers(0, 34, len(cars))) for _ in range(5)))
    p.one_row("vehicle", "new_asset_enrolled", cars, p.recent(len(cars)), {
        "vehicle_type": pick(["小型汽车", "大型汽车"], (rng.random(len(cars)) < 0.1).astype(int)),
        "plate": plate,
    })  # fmt: skip
    n = len(homes)
    p.one_row("real_estate", "new_asset_enrolled", homes, p.recent(n), {
        "usage": pa.array(["住宅"] * n, pa.string()),
        "area_m2": pa.array([f"{a:.2f}" for a in rng.uniform(40, 120, n)], pa.string()),
        "title_no": concat("粤（2024）广州市不动产权第", digits(rng.integers(0, 10**7, n), 7), "号"),
    })  # fmt: skip


def verified_wages(w: World, wages: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Per registry person: wage-feed sum over the 12 window months, and "has any"."""
    months = month_starts_of(w, "wage_income")
    inside = (wages.day >= months[0]) & (wages.who < w.n)
    fen = wages.cols["income_fen"].to_numpy(zero_copy_only=False).astype(np.int64)
    total = np.bincount(wages.who[inside], weights=fen[inside], minlength=w.n).astype(np.int64)
    fed = np.bincount(wages.who[inside], minlength=w.n) > 0
    return total, fed


def verified_income12(w: World, wages: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Per registry person: 12 × monthly income with the wage replaced by the wage feed
    where the person has wage records; and the fed flag."""
    total, fed = verified_wages(w, wages)
    lay = w.layers
    other = (lay.person_income_fen - lay.person_wage_fen) * 12
    return np.where(fed, total, lay.person_wage_fen * 12) + other, fed


def eligible_not_enrolled(p: Planter, wages: Batch) -> Batch:
    """A member's wage (feed) falls so that the household is below the dibao standard."""
    w, rng = p.w, p.rng
    lay = w.layers
    own12, _ = verified_income12(w, wages)
    hh_total = np.bincount(lay.hh, weights=own12, minlength=len(lay.size)).astype(np.int64)
    other_wage12 = (lay.person_income_fen - lay.person_wage_fen) * 12
    others12 = hh_total[p.hh] - own12 + other_wage12  # everything but this person's wage
    ceiling = (lay.standard_fen * lay.size * 12 * 85 // 100)[p.hh]
    able = (w.age >= 18) & (w.age < 60) & (w.column("labour_capacity") != "none")
    fits = able & (lay.person_wage_fen > 0) & (others12 + 3600 * FEN <= ceiling)
    who = p.choose("eligible_not_enrolled", fits & ~in_layers(p, DIBAO, TEKUN))
    low = others12[who] + 3600 * FEN
    target = low + (rng.random(len(who)) * (ceiling[who] - low)).astype(np.int64)
    monthly = (target - others12[who]) // 12 // FEN * FEN
    months = month_starts_of(w, "wage_income")
    k = len(months)
    payer = company_names(rng, w, who).take(pa.array(np.repeat(np.arange(len(who)), k)))
    batch = Batch(
        np.repeat(who, k), np.tile(months, len(who)),
        {"division": w.people.county.take(pa.array(np.repeat(who, k))),
         "income_fen": np.repeat(monthly, k), "payer": payer},
        np.repeat(np.arange(len(who)), k),
    )  # fmt: skip
    p.add("wage_income", "eligible_not_enrolled", who, batch)
    return wages.take(np.flatnonzero(~np.isin(wages.who, who)))

"""Background feed records: what departments send about ordinary people in ordinary months.

Event feeds cover the ``SPAN_DAYS`` before as-of; monthly feeds the last ``MONTHS[kind]``
months. A background record that would make a warning rule fire is only ever dated at
least ``OLD_DAYS`` before as-of for the people the rule watches, so the warnings come
from planted events (medical costs and wages add up: those are checked afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import reference
from minzheng.synth.arrow import concat, digits, pick
from minzheng.synth.build import Streams
from minzheng.synth.feed_rows import Batch, People, month_starts
from minzheng.synth.generate import Population
from minzheng.synth.layers import DIBAO, TEKUN, Layers

SPAN_DAYS = 730
OLD_DAYS = 100  # well outside any 3-month window
MONTHS = {"wage_income": 12, "social_insurance": 3}
FORMAL_WAGE_SHARE = 0.25  # of the registry's wage earners, those on a tax-withholding roll
FEN = 100

DIAGNOSES = {
    "门诊": ["上呼吸道感染", "急性胃肠炎", "高血压", "腰椎间盘突出", "龋齿", "皮炎", "结膜炎"],
    "门诊慢特病": ["高血压", "2型糖尿病", "慢性阻塞性肺疾病", "冠心病", "慢性肾病", "精神分裂症"],
    "住院": ["肺炎", "脑梗死", "股骨骨折", "冠心病", "恶性肿瘤", "胆囊结石", "阑尾炎", "白内障"],
}
DEATH_CAUSES = ["心脑血管疾病", "恶性肿瘤", "呼吸系统疾病", "意外伤害", "衰老", "其他疾病"]
DISABILITY_TYPES = ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
COMPANY_WORDS = list("华新盛达恒兴隆泰宏信安嘉瑞鑫广源丰诚通利")
COMPANY_KINDS = ["商贸有限公司", "物业管理有限公司", "餐饮管理有限公司", "建筑工程有限公司",
                 "电子科技有限公司", "物流有限公司", "服装厂", "家政服务有限公司"]  # fmt: skip
DISASTERS = [  # (days before as-of, name): fixed so every run has recent and old events
    (690, "台风“暹芭”"), (610, "龙舟水暴雨"), (420, "台风“泰利”"), (300, "台风“苏拉”"),
    (290, "台风“海葵”"), (220, "强对流天气"), (130, "持续强降雨"), (45, "暴雨洪涝"),
    (20, "龙卷风"),
]  # fmt: skip
PLATE_CHARS = list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")


@dataclass
class World:
    """What every feed is drawn from."""

    pop: Population
    layers: Layers
    people: People
    as_of: int
    streams: Streams
    died: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def rng(self, name: str) -> np.random.Generator:
        return self.streams[f"feeds.{name}"]

    @cached_property
    def n(self) -> int:
        return self.people.registry

    @cached_property
    def age(self) -> np.ndarray:
        return self.people.age[: self.n]

    @cached_property
    def layer(self) -> np.ndarray:
        """Layer of each registry person's household."""
        return self.layers.layer[self.layers.hh]

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.pop.persons.column(name).to_pylist(), dtype=object)

    def days(self, rng: np.random.Generator, n: int, old: Any = False) -> np.ndarray:
        """Days in (as_of - SPAN_DAYS, as_of], or at least OLD_DAYS back where ``old``."""
        lo = np.where(np.broadcast_to(old, (n,)), OLD_DAYS, 0)
        return self.as_of - rng.integers(lo, SPAN_DAYS)

    @cached_property
    def top_earner(self) -> np.ndarray:
        """Per person: is the highest-income member of the household (ties: first)."""
        lay = self.layers
        order = np.lexsort((lay.position, -lay.person_income_fen, lay.hh))
        first = np.ones(self.n, dtype=bool)
        first[1:] = lay.hh[order][1:] != lay.hh[order][:-1]
        out = np.zeros(self.n, dtype=bool)
        out[order[first]] = True
        return out & (lay.person_income_fen > 0)


def yuan(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Log-normal amounts in fen."""
    return np.rint(rng.lognormal(np.log(median * FEN), sigma, n)).astype(np.int64)


def serials(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    return digits(rng.integers(0, 10**width, n), width)


def medical(w: World, outsider_rows: float) -> Batch:
    """Settlements for a share of people, several a year, mostly small outpatient bills."""
    rng = w.rng("medical")
    health = w.column("health")
    chronic, serious = health == "chronic", health == "serious"
    p = 0.16 + 0.25 * chronic + 0.5 * serious + 0.08 * (w.age >= 60)
    active = np.flatnonzero(rng.random(w.n) < np.minimum(p, 0.95))
    lam = np.where(serious, 5.0, np.where(chronic, 3.0, 1.4))[active] * SPAN_DAYS / 365
    who = np.repeat(active, rng.poisson(lam))
    out_n = round(len(who) * outsider_rows)
    outs = w.people.outsiders
    who = np.concatenate([who, outs[rng.integers(0, len(outs), out_n)]])
    return medical_rows(rng, w, who, w.days(rng, len(who)), np.isin(who, np.flatnonzero(chronic)))


def medical_rows(
    rng: np.random.Generator,
    w: World,
    who: np.ndarray,
    days: np.ndarray,
    chronic: np.ndarray,
    inpatient: float = 0.06,
) -> Batch:
    n = len(who)
    u = rng.random(n)
    visit = np.where(u < inpatient, 2, np.where(chronic & (u < 0.5), 1, 0))
    median = np.array([180.0, 600.0, 9000.0])[visit]
    total = np.rint(np.exp(rng.normal(np.log(median * FEN), 0.8))).astype(np.int64)
    share = np.where(visit == 2, rng.uniform(0.2, 0.45, n), rng.uniform(0.3, 0.8, n))
    kinds = ["门诊", "门诊慢特病", "住院"]
    diag = [DIAGNOSES[kinds[v]][i % len(DIAGNOSES[kinds[v]])]
            for v, i in zip(visit, rng.integers(0, 60, n), strict=True)]  # fmt: skip
    return Batch(
        who,
        days,
        {
            "division": w.people.county.take(pa.array(who)),
            "total_fen": total,
            "out_of_pocket_fen": np.rint(total * share).astype(np.int64),
            "visit_type": pick(kinds, visit),
            "diagnosis": pa.array(diag, pa.string()),
        },
    )


def company_names(rng: np.random.Generator, w: World, who: np.ndarray) -> pa.Array:
    n = len(who)
    city = pick(["广州市"], np.zeros(n))
    a, b = (pick(COMPANY_WORDS, rng.integers(0, len(COMPANY_WORDS), n)) for _ in range(2))
    return concat(city, a, b, pick(COMPANY_KINDS, rng.integers(0, len(COMPANY_KINDS), n)))


def wage_income(w: World) -> Batch:
    """Monthly tax-withheld wages of formal earners: the registry wage plus bonuses (never less)."""
    rng = w.rng("wage_income")
    wage = w.layers.person_wage_fen
    earners = np.flatnonzero((wage > 0) & (rng.random(w.n) < FORMAL_WAGE_SHARE))
    payer = company_names(rng, w, earners)
    months = month_starts_of(w, "wage_income")
    who = np.repeat(earners, len(months))
    bonus = np.where(rng.random(len(who)) < 0.15, rng.uniform(0, 0.5, len(who)), 0.0)
    amount = wage[who] + np.rint(wage[who] * bonus / FEN).astype(np.int64) * FEN
    return Batch(
        who,
        np.tile(months, len(earners)),
        {
            "division": w.people.county.take(pa.array(who)),
            "income_fen": amount,
            "payer": payer.take(pa.array(np.repeat(np.arange(len(earners)), len(months)))),
        },
    )


def month_starts_of(w: World, kind: str) -> np.ndarray:
    return month_starts(w.pop.as_of, MONTHS[kind])


def social_insurance(w: World) -> Batch:
    """Pensions of the old (the registry's transfer income), the last few months."""
    inc = w.pop.incomes
    transfer = pc.equal(inc.column("kind"), "transfer").to_numpy(zero_copy_only=False)
    owner = inc.column("person_key").to_numpy()[transfer]
    fen = inc.column("monthly_fen").to_numpy()[transfer]
    keep = w.age[owner] >= 60
    owner, fen = owner[keep], fen[keep]
    months = month_starts_of(w, "social_insurance")
    benefit = np.where(fen >= 1000 * FEN, 0, 1)
    k = len(months)
    return Batch(
        np.repeat(owner, k),
        np.tile(months, len(owner)),
        {
            "division": w.people.county.take(pa.array(np.repeat(owner, k))),
            "benefit": pick(["基本养老金", "城乡居民养老金"], np.repeat(benefit, k)),
            "amount_fen": np.repeat(fen, k),
        },
    )


def members(lay: Layers, hh: np.ndarray) -> np.ndarray:
    """Every member (person rows) of the households ``hh``, household by household."""
    start = (np.cumsum(lay.size) - lay.size)[hh]
    size = lay.size[hh]
    offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    return np.repeat(start, size) + offset


def household_member(rng: np.random.Generator, w: World, hh: np.ndarray) -> np.ndarray:
    """An adult member (the head if nobody else is adult) of each household in ``hh``."""
    lay = w.layers
    start = (np.cumsum(lay.size) - lay.size)[hh]
    pick_ = start + (rng.random(len(hh)) * lay.size[hh]).astype(np.int64)
    return np.where(w.age[pick_] >= 18, pick_, start)


def assets(w: World, kind: str) -> np.ndarray:
    """Household rows holding registry assets of ``kind``, repeated by quantity."""
    a = w.pop.assets
    mask = pc.equal(a.column("kind"), kind).to_numpy(zero_copy_only=False)
    refs = a.column("household_ref").filter(pa.array(mask))
    hh = pc.index_in(refs, value_set=w.pop.households.column("household_ref").combine_chunks())
    qty = a.column("quantity").to_numpy()[mask]
    return np.repeat(hh.to_numpy().astype(np.int64), qty)


def vehicle(w: World) -> Batch:
    """Cars of households whose registry lists one (~30% registered in the span), and
    motorcycles, tricycles and farm trucks of some rural households."""
    rng = w.rng("vehicle")
    cars = assets(w, "vehicle")
    cars = cars[rng.random(len(cars)) < 0.3]
    rural = np.flatnonzero(~w.layers.urban & (rng.random(len(w.layers.size)) < 0.04))
    hh = np.concatenate([cars, rural])
    who = household_member(rng, w, hh)
    small = np.concatenate([np.ones(len(cars), bool), np.zeros(len(rural), bool)])
    vt = np.where(small, np.where(rng.random(len(hh)) < 0.95, 0, 1), rng.integers(2, 6, len(hh)))
    old = small & (w.layers.layer[hh] == DIBAO)  # a new car of a dibao household is an event
    plate = concat("粤A", *(pick(PLATE_CHARS, rng.integers(0, 34, len(hh))) for _ in range(5)))
    return Batch(
        who,
        w.days(rng, len(hh), old),
        {
            "division": w.people.county.take(pa.array(who)),
            "vehicle_type": pick(
                ["小型汽车", "大型汽车", "摩托车", "三轮汽车", "低速货车", "其他"], vt
            ),
            "plate": plate,
        },
    )


def real_estate(w: World) -> Batch:
    """Homes of households whose registry lists them (~25% in the span); a few shops."""
    rng = w.rng("real_estate")
    homes = assets(w, "home")
    homes = homes[rng.random(len(homes)) < 0.25]
    other = np.flatnonzero((w.layers.layer == 3) & (rng.random(len(w.layers.size)) < 0.01))
    hh = np.concatenate([homes, other])
    who = household_member(rng, w, hh)
    use = np.concatenate([np.zeros(len(homes), np.int64), rng.integers(1, 4, len(other))])
    old = (use == 0) & (w.layers.layer[hh] == DIBAO)
    days = w.days(rng, len(hh), old)
    area = rng.uniform(30, 140, len(hh))
    year = digits(1970 + days // 365, 4)
    return Batch(
        who,
        days,
        {
            "division": w.people.county.take(pa.array(who)),
            "usage": pick(["住宅", "商业", "工业", "其他"], use),
            "area_m2": pa.array([f"{a:.2f}" for a in area], pa.string()),
            "title_no": concat("粤（", year, "）广州市不动产权第", serials(rng, len(hh), 7), "号"),
        },
    )


def business(w: World) -> Batch:
    """Registrations of the registry's businesses, and shareholders among better-off adults."""
    from minzheng.identity.uscc import make_uscc

    rng = w.rng("business")
    owners = household_member(rng, w, assets(w, "business"))
    rich = np.flatnonzero((w.layer == 3) & (w.age >= 25) & (rng.random(w.n) < 0.004))
    who = np.concatenate([owners, rich])
    role = np.concatenate([rng.integers(0, 3, len(owners)) % 2 * 2, np.ones(len(rich), np.int64)])
    county = w.people.county.take(pa.array(who)).to_pylist()
    seq = rng.integers(0, 10**8, len(who))
    uscc = [make_uscc("9", "2" if r == 2 else "1", c, int(s))
            for r, c, s in zip(role, county, seq, strict=True)]  # fmt: skip
    return Batch(
        who,
        w.days(rng, len(who)),
        {
            "division": pa.array(county, pa.string()),
            "uscc": pa.array(uscc, pa.string()),
            "role": pick(["法定代表人", "股东", "经营者"], role),
            "capital_fen": np.rint(rng.lognormal(np.log(50_000), 1.0, len(who))).astype(np.int64)
            * 100
            * FEN,
        },
    )


def school_names(w: World, who: np.ndarray, level: np.ndarray) -> pa.Array:
    county = w.people.county.take(pa.array(who)).to_pylist()
    names = {c: reference.county(c).name for c in set(county)}
    kinds = ["幼儿园", "小学", "中学", "中学", "职业技术学校", "学院"]
    return pa.array(
        [f"{names[c]}第{(i * 7) % 23 + 1}{kinds[k]}"
         for c, i, k in zip(county, who, level, strict=True)],
        pa.string(),
    )  # fmt: skip


def school(w: World) -> Batch:
    """Aid for pupils of low-income households, enrolments, old dropouts, a few returns."""
    rng = w.rng("school")
    sch = w.column("schooling")
    level = np.select([sch == s for s in ("preschool", "primary", "junior", "senior",
                                          "vocational", "higher")], range(6), -1)  # fmt: skip
    pupil = level >= 0
    low = w.layers.low_income()[w.layers.hh]
    aided = np.flatnonzero(pupil & low & (rng.random(w.n) < 0.6))
    aid_days = np.array([w.as_of - d for d in (40, 220, 400, 590)])
    who_aid = np.repeat(aided, 4)
    enrol = np.flatnonzero(pupil & (rng.random(w.n) < 0.25))
    dropouts = np.flatnonzero((sch == "dropout") & (w.age < 18))
    drop_days = w.days(rng, len(dropouts), low[dropouts])  # a recent dropout is an event
    back = np.flatnonzero(rng.random(len(dropouts)) < 0.1)
    back_days = np.minimum(drop_days[back] + rng.integers(30, 200, len(back)), w.as_of)
    who = np.concatenate([who_aid, enrol, dropouts, dropouts[back]])
    event = np.repeat([3, 0, 1, 2], [len(who_aid), len(enrol), len(dropouts), len(back)])
    days = np.concatenate(
        [np.tile(aid_days, len(aided)), w.days(rng, len(enrol)), drop_days, back_days]
    )
    aid = np.where(event == 3, rng.integers(5, 31, len(who)) * 100 * FEN, -1)
    return Batch(
        who,
        days,
        {
            "division": w.people.county.take(pa.array(who)),
            "event": pick(["入学", "辍学", "复学", "资助"], event),
            "school": school_names(w, who, np.maximum(level[who], 1)),
            "aid_fen": pa.array(aid, mask=aid < 0),
        },
    )


def death(w: World) -> tuple[Batch, np.ndarray]:
    """Deaths at rising rates with age; members of dibao/tekun households only long ago.

    Also returns the day of death per person (a large number for the living).
    """
    rng = w.rng("death")
    q = np.minimum(0.0004 + 0.0003 * np.exp(0.085 * np.clip(w.age - 30, 0, None)), 0.25)
    dead = np.flatnonzero(rng.random(w.n) < q * SPAN_DAYS / 365)
    assisted = np.isin(w.layer[dead], (DIBAO, TEKUN))
    days = w.days(rng, len(dead), assisted)
    died = np.full(len(w.people.hh), np.iinfo(np.int64).max // 2)
    died[dead] = days
    batch = Batch(
        dead,
        days,
        {
            "division": w.people.county.take(pa.array(dead)),
            "cause": pick(DEATH_CAUSES, rng.integers(0, len(DEATH_CAUSES), len(dead))),
        },
    )
    return batch, died


def disability(w: World) -> Batch:
    """Renewals for the registry's disabled, some new certificates and cancellations;
    grade 1–2 certificates of the monitored households only long ago."""
    rng = w.rng("disability")
    cat = np.array([int(c or 0) for c in w.column("disability_category")])
    grade = np.array([int(g or 0) for g in w.column("disability_grade")])
    has = cat > 0
    renew = np.flatnonzero(has & (rng.random(w.n) < 0.16))
    new = np.flatnonzero(~has & (w.age >= 3) & (rng.random(w.n) < 0.004))
    cancel = np.flatnonzero(has & (rng.random(w.n) < 0.002))
    who = np.concatenate([renew, new, cancel])
    change = np.concatenate([np.ones(len(renew), np.int64), np.zeros(len(new), np.int64),
                             np.full(len(cancel), 2)])  # fmt: skip
    new_grade = rng.choice(4, len(new), p=[0.15, 0.25, 0.28, 0.32]) + 1
    new_cat = rng.integers(1, 8, len(new))
    g = np.concatenate([grade[renew], new_grade, grade[cancel]])
    c = np.concatenate([cat[renew], new_cat, cat[cancel]])
    low = w.layers.low_income()[w.layers.hh][who]
    days = w.days(rng, len(who), low & (g <= 2) & (change < 2))
    ident = w.people.id_number.take(pa.array(who))
    cert = concat(ident, digits(c), digits(g))
    return Batch(
        who,
        days,
        {
            "division": w.people.county.take(pa.array(who)),
            "change": pick(["发证", "换证", "注销"], change),
            "category": pick(DISABILITY_TYPES, c - 1),
            "grade": pa.array(g),
            "certificate_no": cert,
        },
    )


def unemployment(w: World) -> Batch:
    """Registrations of working-age people without a wage, and cancellations of earners;
    the top earner of a low-income household registered only long ago."""
    rng = w.rng("unemployment")
    lab = w.column("labour_capacity")
    working_age = (w.age >= 16) & (w.age < 60) & (lab != "none")
    no_wage = w.layers.person_wage_fen == 0
    reg = np.flatnonzero(working_age & no_wage & (rng.random(w.n) < 0.05))
    off = np.flatnonzero(working_age & ~no_wage & (rng.random(w.n) < 0.02))
    who = np.concatenate([reg, off])
    status = np.concatenate([np.zeros(len(reg), np.int64), np.ones(len(off), np.int64)])
    watched = w.top_earner[who] & w.layers.low_income()[w.layers.hh][who] & (status == 0)
    return Batch(
        who,
        w.days(rng, len(who), watched),
        {
            "division": w.people.county.take(pa.array(who)),
            "status": pick(["登记", "注销"], status),
        },
    )


def disaster(w: World) -> Batch:
    """Members of struck households in named events; collapse or severe damage of a
    low-income household only in events long ago."""
    rng = w.rng("disaster")
    hh = np.flatnonzero(rng.random(len(w.layers.size)) < 0.02)
    ev = rng.integers(0, len(DISASTERS), len(hh))
    who = members(w.layers, hh)
    ev_p = np.repeat(ev, w.layers.size[hh])
    back = np.array([d for d, _ in DISASTERS])[ev_p]
    damage = np.repeat(rng.choice(4, len(hh), p=[0.04, 0.08, 0.38, 0.5]), w.layers.size[hh])
    low = w.layers.low_income()[w.layers.hh][who]
    damage = np.where(low & (back < OLD_DAYS) & (damage < 2), 2, damage)
    return disaster_rows(rng, w, who, ev_p, damage)


def disaster_rows(
    rng: np.random.Generator, w: World, who: np.ndarray, ev: np.ndarray, damage: np.ndarray
) -> Batch:
    back = np.array([d for d, _ in DISASTERS])[ev]
    loss = np.array([80_000, 30_000, 3_000, 0])[damage] * FEN
    loss = np.rint(loss * rng.uniform(0.5, 1.5, len(who))).astype(np.int64)
    return Batch(
        who,
        w.as_of - back,
        {
            "division": w.people.township.take(pa.array(who)),
            "disaster": pick([n for _, n in DISASTERS], ev),
            "house_damage": pick(["倒塌", "严重损坏", "一般损坏", "无"], damage),
            "loss_fen": pa.array(loss, mask=damage == 3),
        },
    )


def rr_monitoring(w: World) -> Batch:
    """Rural households on the return-to-poverty monitoring list, every member a record."""
    rng = w.rng("rr_monitoring")
    lay = w.layers
    hh = np.flatnonzero(~lay.urban & (lay.layer != TEKUN) & (rng.random(len(lay.size)) < 0.06))
    sub = np.select([lay.layer[hh] == DIBAO, lay.layer[hh] == 2], [0, 1], 2)
    sub = np.where(rng.random(len(hh)) < 0.2, rng.integers(0, 3, len(hh)), sub)
    listed = w.days(rng, len(hh))
    left = listed + rng.integers(90, 400, len(hh))
    left = np.where((rng.random(len(hh)) < 0.3) & (left <= w.as_of), left, -1)
    who = members(lay, hh)
    rep = lay.size[hh]
    return Batch(
        who,
        np.repeat(listed, rep),
        {
            "division": w.people.county.take(pa.array(who)),
            "subtype": pick(
                ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"], np.repeat(sub, rep)
            ),
            "left_on": pa.array(np.repeat(left, rep), mask=np.repeat(left < 0, rep)),
        },
    )

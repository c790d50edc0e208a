"""Where households are registered (hukou) and live: counties, townships, urban flag, address."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth import reference
from minzheng.synth.arrow import concat, digits, pick

STAY = 0.85  # live in the hukou township
MOVED_COUNTY = 0.05  # live in another of the requested counties
URBAN_DISTRICT, URBAN_OTHER = 0.60, 0.35

_ROAD_TEXT = (
    "中山人民解放建设和平新华胜利东风长安迎宾文化健康幸福光明振兴府前滨江江南"
    "环城工业朝阳育才青年沿江东湖西湖北园南华五一红旗团结友谊新村兴华公园站前"
    "学府龙华金沙华侨同福宝岗海珠德政惠福榕树荔枝花园翠竹松柏桂花"
)
ROADS = [_ROAD_TEXT[i : i + 2] for i in range(0, len(_ROAD_TEXT), 2)]  # 中山, 人民, …
ROAD_KINDS = ["路", "路", "路", "街", "大道", "巷"]
VILLAGE_HEAD = list("新石东西南北上下大小龙凤黄白马高长青沙塘水山禾竹茶桥坑岭陂洋林")
VILLAGE_TAIL = list("岭坑塘山田湖岗围坪口头洞桥溪湾冲坝寨园屋边尾背村")


@dataclass
class Geo:
    """The requested counties with their townships laid out flat (segments per county)."""

    codes: list[str]  # 6-digit county codes
    district: np.ndarray  # bool per county
    tw_code: pa.Array  # 12-digit township codes, grouped by county
    tw_name: pa.Array
    start: np.ndarray  # first township of each county
    count: np.ndarray  # townships per county
    tw_weight: np.ndarray  # relative population of each township


@dataclass
class Placement:
    """Per household: county and township indexes, urban flag."""

    county: np.ndarray
    hukou: np.ndarray  # index into Geo.tw_code
    residence: np.ndarray
    urban: np.ndarray


def load(rng: np.random.Generator, province: str, counties: list[str] | None) -> Geo:
    codes = list(counties) if counties is not None else reference.province_counties(province)
    if not codes:
        what = "counties is an empty list" if counties is not None else "no county has townships"
        raise ValueError(f"{what} (province {province!r})")
    bad = [c for c in codes if not (len(c) == 6 and c.startswith(province))]
    if bad or len(set(codes)) != len(codes):
        raise ValueError(f"counties must be distinct 6-digit codes of {province}: {bad or codes}")
    info = [reference.county(c) for c in codes]
    count = np.array([len(c.townships) for c in info], dtype=np.int64)
    towns = [t for c in info for t in c.townships]
    return Geo(
        codes=codes,
        district=np.array([c.district for c in info]),
        tw_code=pa.array([t[0] for t in towns], pa.string()),
        tw_name=pa.array([t[1] for t in towns], pa.string()),
        start=np.cumsum(count) - count,
        count=count,
        tw_weight=rng.lognormal(0.0, 0.6, len(towns)),
    )


def county_weights(rng: np.random.Generator, geo: Geo) -> np.ndarray:
    """Random (seeded) county shares, roughly proportional to the number of townships."""
    w = np.sqrt(geo.count) * rng.lognormal(0.0, 0.5, len(geo.count))
    return np.asarray(w / w.sum())


def _township_in(rng: np.random.Generator, geo: Geo, county: np.ndarray) -> np.ndarray:
    """A township of each ``county`` drawn with the townships' population weights."""
    cum = np.cumsum(geo.tw_weight)
    before = np.concatenate([[0.0], cum])[geo.start]
    total = cum[geo.start + geo.count - 1] - before
    target = before[county] + rng.random(len(county)) * total[county]
    idx = np.searchsorted(cum, target, side="right")
    return np.clip(idx, geo.start[county], geo.start[county] + geo.count[county] - 1)


def place(rng: np.random.Generator, geo: Geo, n: int) -> Placement:
    """Hukou and residence townships for ``n`` households (ordered by hukou county)."""
    weights = county_weights(rng, geo)
    county = np.repeat(np.arange(len(weights)), rng.multinomial(n, weights))
    hukou = _township_in(rng, geo, county)
    u = rng.random(n)
    k = len(weights)
    moved = (u >= STAY) & (u < STAY + MOVED_COUNTY) & (k >= 2)
    res_county = county.copy()
    if k >= 2:
        other = np.searchsorted(np.cumsum(weights), rng.random(n) * weights.sum(), side="right")
        other = np.minimum(other, k - 1)
        same = other == county
        other[same] = (county[same] + 1 + rng.integers(0, k - 1, int(same.sum()))) % k
        res_county[moved] = other[moved]
    residence = hukou.copy()
    residence[moved] = _township_in(rng, geo, res_county[moved])
    local = (u >= STAY + MOVED_COUNTY * (k >= 2)) & (geo.count[county] > 1)
    cnt = geo.count[county[local]]
    off = hukou[local] - geo.start[county[local]]
    step = 1 + (rng.random(len(cnt)) * (cnt - 1)).astype(np.int64)
    residence[local] = geo.start[county[local]] + (off + step) % cnt
    p_urban = np.where(geo.district[res_county], URBAN_DISTRICT, URBAN_OTHER)
    return Placement(county, hukou, residence, rng.random(n) < p_urban)


def addresses(rng: np.random.Generator, geo: Geo, where: Placement) -> pa.Array:
    """Street addresses in town ("XX路123号3栋502房"), village ones in the country ("XX村5组12号")."""
    n = len(where.residence)
    town = pick(geo.tw_name, where.residence)
    road = concat(
        pick(ROADS, rng.integers(0, len(ROADS), n)),
        pick(ROAD_KINDS, rng.integers(0, len(ROAD_KINDS), n)),
    )
    number = digits(np.minimum(rng.geometric(0.02, n), 999))
    flat = concat(
        digits(rng.integers(1, 30, n)),
        "栋",
        digits(rng.integers(1, 20, n)),
        digits(rng.integers(1, 9, n), 2),
        "房",
    )
    flat = pc.if_else(pa.array(rng.random(n) < 0.6), flat, pa.scalar(""))
    street = concat(town, road, number, "号", flat)
    village = concat(
        pick(VILLAGE_HEAD, rng.integers(0, len(VILLAGE_HEAD), n)),
        pick(VILLAGE_TAIL, rng.integers(0, len(VILLAGE_TAIL), n)),
        "村",
    )
    group = digits(rng.integers(1, 16, n))
    rural = concat(town, village, group, "组", digits(rng.integers(1, 120, n)), "号")
    return pc.if_else(pa.array(where.urban), street, rural)

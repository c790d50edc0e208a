"""A valid synthetic file per import kind, the one every malformed input starts from.

Synthetic only: ID numbers are made like ``tests.conftest.ids`` (a county, a birth date,
a sequence number, the check digit), names come from the synthetic generator's
surname list. Each table says which of its columns are free text (where a formula-like
value is accepted and must come out of an export harmless), which hold ID numbers,
codes, dates and amounts, and which headers are required.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from minzheng.identity.resident_id import make_id

GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖"

# The bank-result kind needs payees on a roster: the campaign creates them in 越秀区.
BANK_COUNTY = "440104"
BANK_TOWN = "440104003"
REGISTRY_TOWN = "440106001"
BANK_MONTH = dt.date(2031, 3, 1)


@dataclass
class Table:
    """A valid file's header and rows (cells as text), and what its columns hold."""

    kind: str
    headers: list[str]
    rows: list[list[Any]]
    text: list[int] = field(default_factory=list)  # free text: formula-like values land
    ids: list[int] = field(default_factory=list)  # ID numbers (18 digits, leading zeros)
    codes: list[int] = field(default_factory=list)  # digit codes (division, household ref)
    dates: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    required: list[int] = field(default_factory=list)

    def copy(self) -> Table:
        return Table(
            self.kind,
            list(self.headers),
            [list(r) for r in self.rows],
            self.text,
            self.ids,
            self.codes,
            self.dates,
            self.numbers,
            self.required,
        )


def person_ids(n: int, *, county: str, year: int) -> list[str]:
    """``n`` distinct synthetic ID numbers (the recipe of ``tests.conftest.ids``)."""
    return [
        make_id(county, dt.date(year + i % 40, 1 + i % 12, 1 + i % 28), 100 + i) for i in range(n)
    ]


def names(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))) for _ in range(n)]


def registry(rows: int = 20) -> Table:
    """Households of 1–4 persons in 五山街道 (天河区); heads first."""
    headers = [
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
        "出生日期",
    ]
    numbers = person_ids(rows, county="440106", year=1955)
    who = names(rows, 1)
    out, hh, left = [], 0, 0
    for i in range(rows):
        if left == 0:
            hh, left, rel = hh + 1, 1 + i % 4, "02"
        else:
            rel = ("10", "20", "30")[(i + left) % 3]
        left -= 1
        out.append(
            [
                f"IN{hh:05d}",
                who[i],
                numbers[i],
                rel,
                REGISTRY_TOWN,
                "",
                f"五山路{hh}号",
                "城镇",
                f"{800 + 13 * i}.50",
                "",
                "",
                "有劳动能力",
                f"1380000{i:04d}",
                "",
            ]
        )
    return Table(
        "registry",
        headers,
        out,
        text=[1, 6],
        ids=[2],
        codes=[0, 4, 5, 12],
        dates=[13],
        numbers=[8],
        required=[0, 1, 3, 4],
    )


def calendar(year: int = 2031) -> Table:
    """A year's holidays (休) and make-up working weekends (班)."""
    out = []
    day = dt.date(year, 1, 1)
    names_ = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    for i, name in enumerate(names_):
        start = day + dt.timedelta(days=50 * i)
        for k in range(3):
            out.append([(start + dt.timedelta(days=k)).isoformat(), "休", name, ""])
        sat = start + dt.timedelta(days=(5 - start.weekday()) % 7 + 7)
        out.append([sat.isoformat(), "班", name, ""])
    return Table(
        "calendar",
        ["日期", "类型", "名称", "英文名称"],
        out,
        text=[2, 3],
        dates=[0],
        required=[0, 1],
    )


def parameters() -> Table:
    """Money, count and flag parameters for 广东 and below, from 2031."""
    specs = [
        ("dibao_urban_fen", "1100.00"),
        ("dibao_rural_fen", "900.50"),
        ("homes_max", "2"),
        ("vehicles_max", "1"),
        ("business_allowed", "否"),
        ("financial_assets_months", "24"),
        ("price_min_fen", "15.00"),
        ("deduct_work_fen", "200.00"),
    ]
    out = []
    for i, (name, value) in enumerate(specs * 2):
        prefix = ("44", "4401", "440106", "440104")[i % 4]
        start = dt.date(2031, 1 + i % 12, 1)
        out.append([name, prefix, value, start.isoformat(), "", f"粤民发〔2031〕{i + 1}号"])
    return Table(
        "parameters",
        ["参数", "区划", "取值", "起始日期", "截止日期", "依据"],
        out,
        text=[5],
        codes=[1],
        dates=[3, 4],
        numbers=[2],
        required=[0, 2, 3],
    )


def bank(payees: list[tuple[str, str]] | None = None) -> Table:
    """The bank's answer to the campaign's roster: (ID number, amount) per payee."""
    payees = payees or bank_payees()
    out = []
    for i, (number, amount) in enumerate(payees):
        ok = i % 4 != 3
        out.append([number, amount, "成功" if ok else "失败", "" if ok else "账户已冻结"])
    return Table(
        "bank",
        ["证件号码", "金额（元）", "结果", "失败原因"],
        out,
        text=[3],
        ids=[0],
        numbers=[1],
        required=[0, 1, 2, 3],
    )


def bank_payees(n: int = 16) -> list[tuple[str, str]]:
    """The payees the campaign puts on its roster and what each is paid."""
    return [
        (number, f"{500 + 25 * i}.00")
        for i, number in enumerate(person_ids(n, county=BANK_COUNTY, year=1948))
    ]


def price() -> Table:
    """Monthly CPI for the nation, 广东, 广州 and 天河区."""
    out = []
    for i in range(16):
        prefix = ("全国", "44", "4401", "440106")[i % 4]
        out.append(
            [
                prefix,
                f"2031-{1 + i // 4:02d}",
                f"{2 + i % 5}.{i % 10}",
                f"{4 + i % 4}.{(3 * i) % 10}",
            ]
        )
    return Table(
        "price",
        ["区划", "月份", "CPI同比", "食品CPI同比"],
        out,
        codes=[0],
        dates=[1],
        numbers=[2, 3],
        required=[0, 1, 2, 3],
    )


BUILDERS = {
    "registry": registry,
    "calendar": calendar,
    "parameters": parameters,
    "bank": bank,
    "price": price,
}

"""The narrative report: figures, comparisons and periods in Chinese and English prose."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minzheng.stats.narrative import (
    Figure,
    Period,
    Share,
    change,
    format_en,
    format_zh,
    narrate,
    rounded,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "unit", "zh", "en"),
    [
        # persons: plain below 1万, 万 to 0.1 (1,000) below 1亿, 亿 to 0.01 (1,000,000) above
        (0, "人", "0人", "0 people"),
        (1, "人", "1人", "1 person"),
        (9999, "人", "9999人", "9,999 people"),
        (10000, "人", "1万人", "10,000 people"),
        (45000, "万人", "4.5万人", "45,000 people"),
        (999_499, "人", "99.9万人", "999,000 people"),
        (999_500, "人", "100万人", "1 million people"),
        (42_238_000, "万人", "4223.8万人", "42.238 million people"),
        (99_995_000, "人", "9999.5万人", "99.995 million people"),
        (99_999_499, "人", "9999.9万人", "99.999 million people"),
        (99_999_500, "人", "1亿人", "100 million people"),
        (200_000_000, "人", "2亿人", "200 million people"),
        (1_411_780_000, "人", "14.12亿人", "1.412 billion people"),
        # households and person-times follow the same bands
        (8765, "户", "8765户", "8,765 households"),
        (1, "户", "1户", "1 household"),
        (23_456_789, "万户", "2345.7万户", "23.457 million households"),
        (56_000, "人次", "5.6万人次", "56,000 person-times"),
        (2_402_000, "万人次", "240.2万人次", "2.402 million person-times"),
        (770_000_000, "人次", "7.7亿人次", "770 million person-times"),
        # classifiers: the noun is the indicator's name in English
        (3463, "个", "3463个", "3,463"),
        (340_000, "个", "34万个", "340,000"),
        (8_170_000, "张", "817万张", "8.17 million"),
        (7_643_000, "对", "764.3万对", "7.643 million couples"),
        (1, "对", "1对", "1 couple"),
        (3_700_000_000, "小时", "37亿小时", "3.7 billion hours"),
        # yuan: to the fen below 1万, then like counts
        (D("5654.50"), "元", "5654.5元", "5,654.5 yuan"),
        (D("9999.99"), "元", "9999.99元", "9,999.99 yuan"),
        (D("9999.995"), "元", "1万元", "10,000 yuan"),
        (565_400, "万元", "56.5万元", "565,000 yuan"),
        (8_750_000_000, "亿元", "87.5亿元", "8.75 billion yuan"),
        (5_654_000_000, "元", "56.54亿元", "5.654 billion yuan"),
        (128_021_000_000, "亿元", "1280.21亿元", "128.021 billion yuan"),
        (D("39856000000.00"), "亿元", "398.56亿元", "39.856 billion yuan"),
        # per-capita standards: 元 to 0.1, never a magnitude
        (711, "元/人·月", "711元/人·月", "711 yuan per person per month"),
        (D("711.45"), "元/人·月", "711.5元/人·月", "711.5 yuan per person per month"),
        (D("6362.2"), "元/人·年", "6362.2元/人·年", "6,362.2 yuan per person per year"),
        (12000, "元/人·年", "12000元/人·年", "12,000 yuan per person per year"),
        # percentages: to 0.1
        (46, "%", "46%", "46%"),
        (D("87.60"), "%", "87.6%", "87.6%"),
        (D("71.65"), "%", "71.7%", "71.7%"),
        (D("0.04"), "%", "0%", "0%"),
    ],
)
def test_each_unit_in_both_languages(value: int | Decimal, unit: str, zh: str, en: str) -> None:
    assert (format_zh(value, unit), format_en(value, unit)) == (zh, en)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (D("42238499"), "人", (D(42_238_000), D(10_000))),
        (D("42238500"), "人", (D(42_239_000), D(10_000))),  # half up, not half even
        (D("42237500"), "人", (D(42_238_000), D(10_000))),
        (D("9999.5"), "人", (D(10_000), D(10_000))),  # rounding carries into the 万 band
        (D("8745000000"), "元", (D(8_745_000_000), D(100_000_000))),
        (D("8745500000"), "元", (D(8_746_000_000), D(100_000_000))),
        (D("0.25"), "%", (D("0.3"), D(1))),
        (D("0.35"), "%", (D("0.4"), D(1))),
    ],
)
def test_rounding_is_half_up_at_the_band_step(
    value: Decimal, unit: str, expected: tuple[Decimal, Decimal]
) -> None:
    assert rounded(value, unit) == expected


def test_negative_figures_round_symmetrically() -> None:
    assert format_zh(D("-25000"), "人") == "-2.5万人"
    assert format_en(D("-0.25"), "%") == "-0.3%"
    assert format_zh(D("-0.04"), "%") == "0%"  # no "-0%"


def test_exact_figures_keep_every_digit() -> None:
    assert format_zh(20058, "人", exact=True) == "20058人"
    assert format_en(20058, "人", exact=True) == "20,058 people"
    assert format_zh(D("123456.785"), "元", exact=True) == "123456.79元"


def test_floats_and_unknown_units_are_refused() -> None:
    with pytest.raises(TypeError):
        format_zh(1.5, "人")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown unit"):
        format_en(1, "斤")


# Every figure of ../data/seed-figures-2021.csv, as the report states it in English
# (its "45000", "56 thousand", "340 thousand" are the same numbers) and as 民政 prose
# states it in Chinese; 寻亲 and 落户 are stated to the person in the report.
SEED = [
    (10_814_000, "人", False, "1081.4万人", "10.814 million people"),
    (45_000, "人", False, "4.5万人", "45,000 people"),
    (5_654_000_000, "元", False, "56.54亿元", "5.654 billion yuan"),
    (3_675_000, "个", False, "367.5万个", "3.675 million"),
    (D("87.6"), "%", False, "87.6%", "87.6%"),
    (57_000_000, "人", False, "5700万人", "57 million people"),
    (2_402_000, "人", False, "240.2万人", "2.402 million people"),
    (46, "%", False, "46%", "46%"),
    (42_238_000, "人", False, "4223.8万人", "42.238 million people"),
    (4_707_000, "人", False, "470.7万人", "4.707 million people"),
    (56_000, "人次", False, "5.6万人次", "56,000 person-times"),
    (340_000, "个", False, "34万个", "340,000"),
    (8_170_000, "张", False, "817万张", "8.17 million"),
    (11_895_000, "人", False, "1189.5万人", "11.895 million people"),
    (14_898_000, "人", False, "1489.8万人", "14.898 million people"),
    (20_058, "人", True, "20058人", "20,058 people"),
    (18_313, "人", True, "18313人", "18,313 people"),
    (536_000, "人次", False, "53.6万人次", "536,000 person-times"),
    (27, "个", False, "27个", "27"),
    (D("71.7"), "%", False, "71.7%", "71.7%"),
    (3463, "个", False, "3463个", "3,463"),
    (30, "个", False, "30个", "30"),
    (8_750_000_000, "元", False, "87.5亿元", "8.75 billion yuan"),
    (770_000_000, "人次", False, "7.7亿人次", "770 million person-times"),
    (17_000, "个", False, "1.7万个", "17,000"),
    (40_000, "人", False, "4万人", "40,000 people"),
    (200_000_000, "人", False, "2亿人", "200 million people"),
    (3_700_000_000, "小时", False, "37亿小时", "3.7 billion hours"),
    (128_021_000_000, "元", False, "1280.21亿元", "128.021 billion yuan"),
    (39_856_000_000, "元", False, "398.56亿元", "39.856 billion yuan"),
    (32, "个", False, "32个", "32"),
    (300, "个", False, "300个", "300"),
    (D("70.2"), "%", False, "70.2%", "70.2%"),
]


@pytest.mark.parametrize(("value", "unit", "exact", "zh", "en"), SEED)
def test_seed_figures_as_the_report_states_them(
    value: int | Decimal, unit: str, exact: bool, zh: str, en: str
) -> None:
    assert format_zh(value, unit, exact=exact) == zh
    assert format_en(value, unit, exact=exact) == en


# --- comparisons -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "zh", "en"),
    [
        (103_200, 100_000, "比上季度增长3.2%", "up 3.2% on the previous quarter"),
        (96_800, 100_000, "比上季度下降3.2%", "down 3.2% on the previous quarter"),
        (100_049, 100_000, "与上季度持平", "unchanged from the previous quarter"),
        (100_050, 100_000, "比上季度增长0.1%", "up 0.1% on the previous quarter"),
        (99_950, 100_000, "比上季度下降0.1%", "down 0.1% on the previous quarter"),
        (99_951, 100_000, "与上季度持平", "unchanged from the previous quarter"),
        (300, 100, "比上季度增长200%", "up 200% on the previous quarter"),
        (0, 0, "与上季度持平", "unchanged from the previous quarter"),
    ],
)
def test_relative_change_rounds_to_a_tenth_and_holds_within_005(
    current: int, previous: int, zh: str, en: str
) -> None:
    delta = change(current, previous, "人")
    assert delta is not None
    assert (delta.zh("上季度"), delta.en("the previous quarter")) == (zh, en)


@pytest.mark.parametrize("previous", [None, 0, -5])
def test_no_comparison_without_a_positive_previous_value(previous: int | None) -> None:
    assert change(5000, previous, "人") is None


@pytest.mark.parametrize(
    ("current", "previous", "zh", "en"),
    [
        (D("47.5"), 46, "比上年提高1.5个百分点", "up 1.5 percentage points on the previous year"),
        (45, 46, "比上年下降1个百分点", "down 1 percentage point on the previous year"),
        (D("46.04"), 46, "与上年持平", "unchanged from the previous year"),
        (10, 0, "比上年提高10个百分点", "up 10 percentage points on the previous year"),
    ],
)
def test_ratios_change_in_percentage_points(
    current: Decimal | int, previous: int, zh: str, en: str
) -> None:
    delta = change(current, previous, "%")
    assert delta is not None and delta.points
    assert (delta.zh("上年"), delta.en("the previous year")) == (zh, en)


def test_year_on_year_wording() -> None:
    delta = change(110, 100, "人次")
    assert delta is not None
    assert delta.en(None) == "up 10% year on year"
    flat = change(100, 100, "人次")
    assert flat is not None and flat.en(None) == "unchanged year on year"


def test_share_of_a_whole() -> None:
    share = Share.of(2_402_000, 5_221_000, "三类重点人群总数", "the three key groups")
    assert share.zh() == "占三类重点人群总数的46%"
    assert share.en() == "accounting for 46% of the three key groups"
    with pytest.raises(ValueError):
        Share.of(1, 0, "总数", "the total")


# --- periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "as_of_zh", "as_of_en", "to_date_zh", "to_date_en"),
    [
        (
            "2024Q3",
            "截至2024年第三季度末",
            "by the end of the third quarter of 2024",
            "2024年1—9月累计",
            "from January to September 2024",
        ),
        (
            "2024Q1",
            "截至2024年第一季度末",
            "by the end of the first quarter of 2024",
            "2024年1—3月累计",
            "from January to March 2024",
        ),
        (
            "2024-07",
            "截至2024年7月底",
            "by the end of July 2024",
            "2024年1—7月累计",
            "from January to July 2024",
        ),
        (
            "2024-01",
            "截至2024年1月底",
            "by the end of January 2024",
            "2024年1月累计",
            "in January 2024",
        ),
        ("2024", "截至2024年底", "by the end of 2024", "2024年全年累计", "in 2024"),
    ],
)
def test_period_wording(
    text: str, as_of_zh: str, as_of_en: str, to_date_zh: str, to_date_en: str
) -> None:
    p = Period.parse(text)
    assert (p.as_of_zh(), p.as_of_en()) == (as_of_zh, as_of_en)
    assert (p.to_date_zh(), p.to_date_en()) == (to_date_zh, to_date_en)


@pytest.mark.parametrize(
    ("text", "previous", "year_ago"),
    [
        ("2024Q3", ("上季度", "the previous quarter"), ("上年同期", None)),
        ("2024-07", ("上月", "the previous month"), ("上年同期", None)),
        ("2024", ("上年", "the previous year"), ("上年", "the previous year")),
    ],
)
def test_comparison_basis(text: str, previous: tuple, year_ago: tuple) -> None:
    p = Period.parse(text)
    assert (p.basis_zh("previous"), p.basis_en("previous")) == previous
    assert (p.basis_zh("year_ago"), p.basis_en("year_ago")) == year_ago


@pytest.mark.parametrize("text", ["2024Q5", "2024-13", "24Q1", "2024-7", "Q3 2024"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        Period.parse(text)


# --- paragraphs ------------------------------------------------------------------------


def figure(**kw: object) -> Figure:
    base: dict[str, object] = {
        "code": "dibao_persons",
        "name_zh": "城乡低保对象",
        "name_en": "urban and rural dibao recipients",
        "unit": "万人",
        "value": 42_238_000,
        "kind": "stock",
    }
    return Figure(**{**base, **kw})  # type: ignore[arg-type]


def test_the_brief_sentence() -> None:
    text = narrate(
        [figure(previous=40_928_000)], "2024Q3", scope_zh="全省", scope_en="in the province"
    )
    assert text.zh == "截至2024年第三季度末，全省城乡低保对象4223.8万人，比上季度增长3.2%。"
    assert text.en == (
        "By the end of the third quarter of 2024, urban and rural dibao recipients in the "
        "province numbered 42.238 million people, up 3.2% on the previous quarter."
    )


def test_flows_are_year_to_date_and_compared_year_on_year() -> None:
    rescue = figure(
        code="rescue",
        name_zh="流浪乞讨人员救助",
        name_en="rescue of vagrants and beggars",
        unit="万人次",
        value=536_000,
        previous=560_000,
        kind="flow",
    )
    text = narrate([rescue], "2024-09")
    assert text.zh == "2024年1—9月累计，流浪乞讨人员救助53.6万人次，比上年同期下降4.3%。"
    assert text.en == (
        "From January to September 2024, rescue of vagrants and beggars totalled "
        "536,000 person-times, down 4.3% year on year."
    )


def test_a_flow_may_be_compared_with_the_previous_period() -> None:
    fig = figure(kind="flow", unit="人次", value=110, previous=100, basis="previous")
    assert "比上月增长10%" in narrate([fig], "2024-07").zh


def test_new_indicator_states_no_comparison() -> None:
    text = narrate([figure(previous=0)], "2024")
    assert text.zh == "截至2024年底，城乡低保对象4223.8万人。"
    assert text.en.endswith("numbered 42.238 million people.")


def test_ratio_sentence_in_points_and_the_period_is_not_repeated() -> None:
    rate = figure(
        code="coverage",
        name_zh="农村社区综合服务设施覆盖率",
        name_en="coverage of rural community service facilities",
        unit="%",
        value=D("71.7"),
        previous=D("70.2"),
        kind="ratio",
    )
    text = narrate([figure(), rate], "2024")
    assert text.zh == (
        "截至2024年底，城乡低保对象4223.8万人。农村社区综合服务设施覆盖率71.7%，比上年提高1.5个百分点。"
    )
    assert text.en == (
        "By the end of 2024, urban and rural dibao recipients numbered 42.238 million people. "
        "Coverage of rural community service facilities stood at 71.7%, "
        "up 1.5 percentage points on the previous year."
    )


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"unit": "%"}, "ratios"), ({"kind": "ratio"}, "ratios"), ({"kind": "total"}, "kind")],
)
def test_figures_are_checked(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        figure(**kw)


def test_the_seed_figures_come_out_as_the_seed_states_them() -> None:
    """MCA 2021 work report: the figures of its third section, in its own roundings."""
    figures = [
        figure(
            code="key_groups",
            name_zh="三类重点人群纳入低保和特困",
            name_en="people of the three key groups included in dibao or tekun",
            unit="人",
            value=2_402_000,
            share=Share(D(46), "三类重点人群总数", "the three key groups"),
        ),
        figure(),
        figure(
            code="tekun",
            name_zh="城乡特困人员",
            name_en="urban and rural tekun recipients",
            value=4_707_000,
        ),
        figure(
            code="beds",
            name_zh="养老服务床位",
            name_en="elderly-care beds",
            unit="张",
            value=8_170_000,
        ),
        figure(
            code="lottery",
            name_zh="福利彩票销售",
            name_en="welfare lottery sales",
            unit="亿元",
            value=128_021_000_000,
            kind="flow",
        ),
        figure(
            code="raised",
            name_zh="互联网公开募捐平台募集善款",
            name_en="donations raised on internet platforms",
            unit="亿元",
            value=8_750_000_000,
            kind="flow",
        ),
        figure(
            code="found",
            name_zh="流浪乞讨人员寻亲成功",
            name_en="vagrants and beggars reunited with their families",
            unit="人",
            value=20058,
            kind="flow",
            exact=True,
        ),
    ]
    text = narrate(figures, "2021Q3", scope_zh="全国", scope_en="nationwide")
    assert text.zh == (
        "截至2021年第三季度末，全国三类重点人群纳入低保和特困240.2万人，占三类重点人群总数的46%。"
        "全国城乡低保对象4223.8万人。全国城乡特困人员470.7万人。全国养老服务床位817万张。"
        "2021年1—9月累计，全国福利彩票销售1280.21亿元。全国互联网公开募捐平台募集善款87.5亿元。"
        "全国流浪乞讨人员寻亲成功20058人。"
    )
    assert text.en == (
        "By the end of the third quarter of 2021, people of the three key groups included in "
        "dibao or tekun nationwide numbered 2.402 million, accounting for 46% of the three key "
        "groups. Urban and rural dibao recipients nationwide numbered 42.238 million people. "
        "Urban and rural tekun recipients nationwide numbered 4.707 million people. "
        "Elderly-care beds nationwide numbered 8.17 million. "
        "From January to September 2021, welfare lottery sales nationwide totalled "
        "128.021 billion yuan. Donations raised on internet platforms nationwide totalled "
        "8.75 billion yuan. Vagrants and beggars reunited with their families nationwide "
        "totalled 20,058 people."
    )

"""Chinese names: surnames by realistic frequency, given names from sex- and era-specific pools."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.synth.arrow import pick

# Approximate shares (per cent) of the most common surnames (public-security statistics),
# plus compound surnames and a few that parsers trip over (单 Shàn, 曾 Zēng, 区 Ōu).
_SURNAME_TEXT = """
王7.12 李7.00 张6.74 刘5.10 陈4.61 杨3.22 黄2.45 赵2.00 吴1.88 周1.80 徐1.45 孙1.38
马1.29 朱1.26 胡1.16 郭1.14 何1.13 高1.08 林1.08 罗0.94 郑0.87 梁0.86 谢0.77 宋0.72
唐0.71 许0.66 韩0.64 冯0.64 邓0.63 曹0.61 彭0.59 曾0.58 肖0.56 田0.52 董0.51 袁0.49
潘0.48 于0.47 蒋0.46 蔡0.46 余0.45 杜0.45 叶0.44 程0.43 苏0.42 魏0.41 吕0.40 丁0.39
任0.38 沈0.37 姚0.36 卢0.36 姜0.35 崔0.34 钟0.33 谭0.33 陆0.32 汪0.31 范0.31 金0.30
石0.30 廖0.29 贾0.29 夏0.28 韦0.28 付0.27 方0.26 白0.25 邹0.25 孟0.24 熊0.24 秦0.23
邱0.23 江0.23 尹0.22 薛0.22 闫0.21 段0.21 雷0.21 侯0.20 龙0.20 史0.20 陶0.19 黎0.19
贺0.18 顾0.18 毛0.18 郝0.17 龚0.17 邵0.17 万0.16 钱0.16 严0.16 覃0.15 武0.15 戴0.15
莫0.14 孔0.13 向0.13 汤0.12 单0.05 区0.02 冼0.02 欧阳0.03 司马0.01 上官0.01 诸葛0.01
司徒0.01
"""
# Regional flavour: multiply these shares for a province (Guangdong: 陈 黄 梁 林 区 …).
_REGIONAL_TEXT = {
    "44": "陈2.0 黄1.8 梁3.0 林2.0 李1.2 区8.0 冼6.0 司徒8.0 欧阳2.0 曾1.8 钟1.8 赵0.5 孙0.4"
}


def _shares(text: str) -> dict[str, float]:
    """ "王7.12 李7.00 …" → {"王": 7.12, "李": 7.0, …}."""
    return {
        name: float(share) for name, share in re.findall(r"(\D+?)([\d.]+)", "".join(text.split()))
    }


SURNAMES = _shares(_SURNAME_TEXT)
REGIONAL = {k: _shares(v) for k, v in _REGIONAL_TEXT.items()}

GIVEN_MALE_OLD = "国建华明军平志伟强文德海林永春金荣福生成祥忠新庆东光立红卫俊辉勇斌峰刚山树宝贵兴有长富清良才发义仁进天安洪昌家水胜利全振学武"
GIVEN_MALE_NEW = (
    "浩宇轩子梓睿博俊涵泽辰然逸铭晨昊杰鑫豪航嘉思宸煜哲一阳凯皓瑞文锦程乐奕天佑霖毅恒翔"
)
GIVEN_FEMALE_OLD = "秀英华玉兰芳珍丽桂凤琴云红霞梅艳娟萍燕莲春淑敏静慧琼月翠金银美素荣菊彩爱娥莉雪"
GIVEN_FEMALE_NEW = "欣怡涵梓子萱雨佳琪诗婷悦可馨思晴妍彤一嘉雅琳语若依晓蕾茜媛瑶雯露菲颖洁"
MODERN_FROM_YEAR = 1985  # born from this year on, given names mostly come from the new pools
SINGLE_CHAR_SHARE = 0.2


def surname_table(province: str) -> tuple[list[str], np.ndarray]:
    """Surnames and their normalised probabilities for ``province``."""
    boost = REGIONAL.get(province[:2], {})
    names = list(SURNAMES)
    weights = np.array([SURNAMES[s] * boost.get(s, 1.0) for s in names])
    return names, weights / weights.sum()


def draw_surnames(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    """``n`` surname indexes (int16) drawn with ``probs``."""
    cdf = np.cumsum(probs)
    idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.minimum(idx, len(probs) - 1).astype(np.int16)


def given_names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray) -> pa.Array:
    """Given names of one or two characters for people of sex ``male`` born in ``birth_year``."""
    n = len(male)
    modern = (birth_year >= MODERN_FROM_YEAR) & (rng.random(n) < 0.85)
    first = _chars(rng, male, modern)
    second = _chars(rng, male, modern)
    single = rng.random(n) < SINGLE_CHAR_SHARE
    second = pc.if_else(pa.array(single), pa.scalar(""), second)
    return pc.binary_join_element_wise(first, second, "")


def _chars(rng: np.random.Generator, male: np.ndarray, modern: np.ndarray) -> pa.Array:
    pools = [GIVEN_FEMALE_OLD, GIVEN_FEMALE_NEW, GIVEN_MALE_OLD, GIVEN_MALE_NEW]
    which = male.astype(np.int64) * 2 + modern.astype(np.int64)
    chars = list("".join(pools))
    starts = np.cumsum([0] + [len(p) for p in pools])[:-1]
    sizes = np.array([len(p) for p in pools])
    idx = starts[which] + (rng.random(len(male)) * sizes[which]).astype(np.int64)
    return pick(chars, idx)


def full_names(surnames: list[str], surname_idx: np.ndarray, given: pa.Array) -> pa.Array:
    """Surname + given name."""
    return pc.binary_join_element_wise(pick(surnames, surname_idx), given, "")

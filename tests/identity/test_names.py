"""Chinese names: normalisation, surname-aware pinyin, homophone keys and initials."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzheng.identity.names import (
    COMPOUND_SURNAMES,
    MIDDLE_DOT,
    SURNAME_PINYIN,
    name_initials,
    name_key,
    name_pinyin,
    normalise_name,
)

ROOT = Path(__file__).resolve().parents[2]

# --- normalise_name --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("张三", "张三"),
        ("  张三 ", "张三"),
        ("张 三", "张三"),
        ("张\u3000三", "张三"),
        ("\u3000欧阳\t娜娜\u3000", "欧阳娜娜"),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"),
        ("John   Smith", "John Smith"),
        ("张ＡＢ", "张AB"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_spaces_and_width(raw, clean):
    assert normalise_name(raw) == clean


@pytest.mark.parametrize(
    "dot", ["\u00b7", "\u2022", "\u2027", "\u30fb", "\uff0e", ".", "\u3002", "\uff65", "\u2219"]
)
def test_middle_dots_are_unified(dot):
    assert normalise_name(f"买买提{dot}艾力") == "买买提·艾力"
    assert normalise_name(f"买买提 {dot} 艾力") == "买买提·艾力"


def test_canonical_dot_is_u00b7():
    assert MIDDLE_DOT == "\u00b7"
    assert normalise_name("阿卜杜拉・克里木・买买提") == "阿卜杜拉\u00b7克里木\u00b7买买提"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("买买提··艾力", "买买提·艾力"),
        ("买买提·•艾力", "买买提·艾力"),
        ("·买买提·艾力·", "买买提·艾力"),
        ("张三。", "张三"),
        ("张三.", "张三"),
        ("Smith Jr.", "Smith Jr."),
        ("John.Smith", "John.Smith"),  # an ASCII full stop between Latin letters is left alone
        ("Jean·Paul", "Jean·Paul"),
    ],
)
def test_dot_edge_cases(raw, clean):
    assert normalise_name(raw) == clean


@given(st.text(alphabet="张三买提艾力 ·•.。\u3000ＡbＣ", max_size=12))
def test_normalise_is_idempotent(raw):
    once = normalise_name(raw)
    assert normalise_name(once) == once
    assert once == once.strip() and "\u3000" not in once


# --- name_pinyin -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("张三", "zhang san"),
        ("单田芳", "shan tian fang"),
        ("曾国藩", "zeng guo fan"),
        ("仇英", "qiu ying"),
        ("区志强", "ou zhi qiang"),
        ("解缙", "xie jin"),
        ("朴智星", "piao zhi xing"),
        ("查良镛", "zha liang yong"),
        ("覃明", "qin ming"),
        ("翟明", "zhai ming"),
        ("缪明", "miao ming"),
        ("乐明", "yue ming"),
        ("单", "shan"),
    ],
)
def test_surname_overrides(name, pinyin):
    assert name_pinyin(name) == pinyin


@pytest.mark.parametrize(("surname", "reading"), sorted(SURNAME_PINYIN.items()))
def test_every_override_is_used_for_the_surname(surname, reading):
    assert name_pinyin(surname + "明").split()[: len(surname)] == reading.split()


def test_overrides_do_not_apply_to_given_names():
    assert name_pinyin("张单") == "zhang dan"
    assert name_pinyin("王曾") == "wang ceng"


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("欧阳娜娜", "ou yang na na"),
        ("诸葛亮", "zhu ge liang"),
        ("司马光", "si ma guang"),
        ("上官婉儿", "shang guan wan er"),
        ("尉迟恭", "yu chi gong"),
        ("长孙无忌", "zhang sun wu ji"),
        ("万俟明", "mo qi ming"),
        ("令狐冲", "ling hu chong"),
        ("单于明", "chan yu ming"),
        ("澹台明", "tan tai ming"),
    ],
)
def test_compound_surnames(name, pinyin):
    assert name_pinyin(name) == pinyin


def test_compound_list_covers_the_common_ones():
    expected = [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "司徒",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "令狐",
        "夏侯",
    ]
    assert set(expected) <= COMPOUND_SURNAMES


def test_two_character_name_is_not_split_as_a_compound_surname():
    # 单于 alone is read as surname 单 + given name 于.
    assert name_pinyin("单于") == "shan yu"


def test_given_name_uses_phrase_readings():
    assert name_pinyin("李长乐") == "li chang le"


def test_transliterated_names_skip_surname_overrides():
    assert name_pinyin("买买提·艾力") == "mai mai ti · ai li"
    assert name_pinyin("查尔斯·狄更斯") == "cha er si · di geng si"


def test_u_umlaut_is_written_v():
    assert name_pinyin("吕布") == "lv bu"


def test_non_cjk_passes_through_lower_cased():
    assert name_pinyin("张ABC") == "zhang abc"
    assert name_pinyin("Ｊｏｈｎ Smith") == "john smith"
    assert name_pinyin("") == ""


def test_pinyin_normalises_first():
    assert name_pinyin(" 单\u3000田芳 ") == "shan tian fang"


# --- name_key and name_initials -------------------------------------------


def test_homophones_share_a_key():
    assert name_key("张三") == name_key("章三") == "zhangsan"
    assert name_key("张山") == "zhangshan" != name_key("张三")


def test_key_ignores_spacing_and_dots():
    assert name_key("买买提·艾力") == name_key("买买提 艾力") == "maimaitiaili"
    assert name_key("张 三") == "zhangsan"


def test_key_uses_surname_override():
    assert name_key("单田芳") == "shantianfang"


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("张三", "zs"),
        ("欧阳娜娜", "oynn"),
        ("曾国藩", "zgf"),
        ("买买提·艾力", "mmtal"),
        ("John Smith", "js"),
        ("", ""),
    ],
)
def test_initials(name, initials):
    assert name_initials(name) == initials


@given(st.text(alphabet="张王李赵单曾欧阳买提·", min_size=1, max_size=6))
def test_key_and_initials_follow_the_pinyin(name):
    syllables = [s for s in name_pinyin(name).split() if s != MIDDLE_DOT]
    assert name_key(name) == "".join(syllables)
    assert name_initials(name) == "".join(s[0] for s in syllables)


# --- import cost -----------------------------------------------------------


def test_importing_identity_does_not_load_pypinyin_or_django():
    code = (
        "import sys, minzheng.identity; "
        "print(sorted(m for m in ('pypinyin', 'django', 'stdnum') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"

"""Coded values of the registry: GB/T 4761 relationships, GB/T 2261.1 sex, and local codes.

Each table maps a code to its Chinese name; ``*_ALIASES`` map the other names people
type in spreadsheets to a code.
"""

from __future__ import annotations

RELATIONSHIP = {
    "01": "本人",
    "02": "户主",
    "10": "配偶",
    "11": "夫",
    "12": "妻",
    "20": "子",
    "21": "独生子",
    "22": "长子",
    "23": "次子",
    "24": "三子",
    "25": "四子",
    "26": "五子",
    "27": "养子或继子",
    "28": "女婿",
    "29": "其他儿子",
    "30": "女",
    "31": "独生女",
    "32": "长女",
    "33": "次女",
    "34": "三女",
    "35": "四女",
    "36": "五女",
    "37": "养女或继女",
    "38": "儿媳",
    "39": "其他女儿",
    "40": "孙子、孙女或外孙子、外孙女",
    "41": "孙子",
    "42": "孙女",
    "43": "外孙子",
    "44": "外孙女",
    "45": "孙媳妇或外孙媳妇",
    "46": "孙女婿或外孙女婿",
    "47": "曾孙子或外曾孙子",
    "48": "曾孙女或外曾孙女",
    "49": "其他孙子、孙女或外孙子、外孙女",
    "50": "父母",
    "51": "父亲",
    "52": "母亲",
    "53": "公公",
    "54": "婆婆",
    "55": "岳父",
    "56": "岳母",
    "57": "继父或养父",
    "58": "继母或养母",
    "59": "其他父母关系",
    "60": "祖父母或外祖父母",
    "61": "祖父",
    "62": "祖母",
    "63": "外祖父",
    "64": "外祖母",
    "65": "配偶的祖父母或外祖父母",
    "66": "曾祖父",
    "67": "曾祖母",
    "68": "配偶的曾祖父母或外曾祖父母",
    "69": "其他祖父母或外祖父母关系",
    "70": "兄弟姐妹",
    "71": "兄",
    "72": "嫂",
    "73": "弟",
    "74": "弟媳",
    "75": "姐姐",
    "76": "姐夫",
    "77": "妹妹",
    "78": "妹夫",
    "79": "其他兄弟姐妹",
    "80": "其他",
    "81": "伯父",
    "82": "伯母",
    "83": "叔父",
    "84": "婶母",
    "85": "舅父",
    "86": "舅母",
    "87": "姨父",
    "88": "姨母",
    "89": "姑父",
    "90": "姑母",
    "91": "堂兄弟、堂姐妹",
    "92": "表兄弟、表姐妹",
    "93": "侄子",
    "94": "侄女",
    "95": "外甥",
    "96": "外甥女",
    "97": "其他亲属",
    "99": "非亲属",
}
RELATIONSHIP_ALIASES = {
    "丈夫": "11",
    "妻子": "12",
    "儿子": "20",
    "女儿": "30",
    "孙子女": "40",
    "父": "51",
    "母": "52",
    "哥哥": "71",
    "弟弟": "73",
    "姐": "75",
    "妹": "77",
    "head": "02",
    "self": "01",
    "spouse": "10",
    "son": "20",
    "daughter": "30",
    "father": "51",
    "mother": "52",
    "grandchild": "40",
    "other": "97",
    "non-relative": "99",
}
HEAD = "02"
SELF = "01"

SEX = {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}
SEX_ALIASES = {
    "男性": "1",
    "女性": "2",
    "m": "1",
    "f": "2",
    "male": "1",
    "female": "2",
    "未知": "0",
}

DISABILITY = {
    "1": "视力",
    "2": "听力",
    "3": "言语",
    "4": "肢体",
    "5": "智力",
    "6": "精神",
    "7": "多重",
}
DISABILITY_ALIASES = {
    "视力残疾": "1",
    "听力残疾": "2",
    "言语残疾": "3",
    "肢体残疾": "4",
    "智力残疾": "5",
    "精神残疾": "6",
    "多重残疾": "7",
    "visual": "1",
    "hearing": "2",
    "speech": "3",
    "physical": "4",
    "intellectual": "5",
    "mental": "6",
    "multiple": "7",
}
DISABILITY_GRADE = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
DISABILITY_GRADE_ALIASES = {"1级": "1", "2级": "2", "3级": "3", "4级": "4"}

LABOUR = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "无劳动能力"}
LABOUR_ALIASES = {
    "有": "full",
    "完全": "full",
    "部分丧失": "partial",
    "部分": "partial",
    "丧失劳动能力": "none",
    "完全丧失劳动能力": "none",
    "无": "none",
    "able": "full",
    "unable": "none",
}

URBAN = {"1": "城镇", "0": "农村"}
URBAN_ALIASES = {"城市": "1", "urban": "1", "rural": "0", "乡村": "0"}
# GB/T 2260 urban-rural class codes: 1xx urban, 2xx rural.
URBAN_RURAL_CLASSES = {"111", "112", "121", "122", "123", "210", "220"}

HEALTH = {"healthy": "健康", "chronic": "慢性病", "serious": "重病"}
SCHOOLING = {
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "higher": "大学本科及以下",
    "graduate": "研究生",
    "dropout": "辍学",
}
INCOME_KIND = {
    "wage": "工资性收入",
    "business": "经营净收入",
    "property": "财产净收入",
    "transfer": "转移净收入",
    "declared": "申报月收入",
    # Usually not counted (a parameter decides): preferential-care payments, rewards,
    # scholarships and assistance payments.
    "care": "优抚金",
    "reward": "奖励与计生奖扶",
    "study": "奖助学金",
    "assistance": "社会救助金",
}
ASSET_KIND = {"financial": "金融资产", "home": "房产", "vehicle": "车辆", "business": "工商登记"}


def lookup(value: str, table: dict[str, str], aliases: dict[str, str]) -> str | None:
    """The code for ``value``: a code itself, a Chinese name, or an alias; ``None`` if unknown."""
    v = value.strip()
    if v in table:
        return v
    if len(v) == 1 and v.isdigit() and ("0" + v) in table:
        return "0" + v
    for code, name in table.items():
        if name == v:
            return code
    return aliases.get(v) or aliases.get(v.lower())


def choices(table: dict[str, str]) -> list[tuple[str, str]]:
    return list(table.items())

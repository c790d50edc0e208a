"""The registry import's columns: Chinese header, English alias, whether required."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    text: bool = False  # formatted as text in the template (codes, ID numbers)


REGISTRY_COLUMNS: tuple[Column, ...] = (
    Column(
        "household_ref", "户编号", "household_ref", True, "同一户的成员填写相同的户编号", text=True
    ),
    Column("name", "姓名", "name", True, "与身份证一致"),
    Column(
        "id_number",
        "公民身份号码",
        "id_number",
        False,
        "18 位（旧 15 位自动升位）；本列须设置为文本格式。新生儿未落户可空",
        text=True,
    ),
    Column(
        "relationship",
        "与户主关系",
        "relationship",
        True,
        "GB/T 4761 代码或名称，如 02 户主、10 配偶、20 子、30 女",
        text=True,
        choices=(
            "02 户主",
            "10 配偶",
            "20 子",
            "30 女",
            "51 父亲",
            "52 母亲",
            "41 孙子",
            "42 孙女",
            "71 兄",
            "77 妹妹",
            "97 其他亲属",
            "99 非亲属",
        ),
    ),
    Column(
        "hukou_division",
        "户籍地行政区划代码",
        "hukou_division",
        True,
        "6、9 或 12 位；已撤销的代码会对应到现行区划",
        text=True,
    ),
    Column(
        "residence_division",
        "居住地行政区划代码",
        "residence_division",
        False,
        "6、9 或 12 位；空则与户籍地相同",
        text=True,
    ),
    Column("address", "居住地址", "address"),
    Column(
        "urban_rural",
        "城乡类别",
        "urban_rural",
        False,
        "城镇 / 农村，或 111–220 城乡分类代码",
        choices=("城镇", "农村"),
    ),
    Column("monthly_income", "月收入", "monthly_income", False, "元，最多两位小数"),
    Column(
        "disability_category",
        "残疾类别",
        "disability_category",
        False,
        "1 视力 2 听力 3 言语 4 肢体 5 智力 6 精神 7 多重",
        choices=("视力", "听力", "言语", "肢体", "智力", "精神", "多重"),
    ),
    Column(
        "disability_grade",
        "残疾等级",
        "disability_grade",
        False,
        "1–4 级",
        choices=("1", "2", "3", "4"),
    ),
    Column(
        "labour_capacity",
        "劳动能力",
        "labour_capacity",
        False,
        "有劳动能力 / 部分丧失劳动能力 / 无劳动能力",
        choices=("有劳动能力", "部分丧失劳动能力", "无劳动能力"),
    ),
    Column("phone", "联系电话", "phone", text=True),
    Column(
        "birth_date",
        "出生日期",
        "birth_date",
        False,
        "无身份证号时填写；接受 2024-07-01、2024年7月1日、2024/7/1、20240701",
    ),
)


def header_map(
    headers: list[str], columns: tuple[Column, ...] = REGISTRY_COLUMNS
) -> dict[str, int]:
    """Map column keys to positions in ``headers`` (Chinese header or English alias)."""
    lookup = {}
    for col in columns:
        lookup[col.zh] = col.key
        lookup[col.en.lower()] = col.key
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = lookup.get(str(h or "").strip().lstrip("*").strip()) or lookup.get(
            str(h or "").strip().lower()
        )
        if key and key not in found:
            found[key] = i
    return found


def missing_required(
    found: dict[str, int], columns: tuple[Column, ...] = REGISTRY_COLUMNS
) -> list[Column]:
    return [c for c in columns if c.required and c.key not in found]


BY_KEY = {c.key: c for c in REGISTRY_COLUMNS}

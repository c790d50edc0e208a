"""The calculator: one household described in JSON → every programme's answer, with reasons.

``assess(doc)`` turns the document into the engine's tables (one household, its members,
incomes, assets, declarations and expenses) and runs the **same** rule sets the nightly
batch runs, through :class:`~minzheng.engine.online.Online`. Nothing here decides
eligibility: the rules in ``assistance/rules/`` do. Money in the document is yuan; inside
it is fen, exact; only the final amount is rounded (half-up, to the unit the parameters set).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minzheng.assistance.catalogue import SPECS, default_rows, engine_table, from_display
from minzheng.core.errors import BilingualError
from minzheng.registry import codes

if TYPE_CHECKING:
    import pyarrow as pa

    from minzheng.engine.online import Evaluation, Online
    from minzheng.engine.rules.schema import Ruleset

RULES = Path(__file__).parent / "rules"
PROGRAMMES = ("dibao", "tekun", "bianyuan", "gangxing", "temporary")
TITLES = {
    "dibao": ("最低生活保障", "Minimum living allowance"),
    "tekun": ("特困人员救助供养", "Support for the extremely poor"),
    "bianyuan": ("低保边缘家庭", "Dibao-marginal family"),
    "gangxing": ("刚性支出困难家庭", "Rigid-expenditure hardship family"),
    "temporary": ("临时救助", "Temporary assistance"),
}
CARE_MODES = {"centralised": "centralised", "集中": "centralised", "集中供养": "centralised",
              "dispersed": "dispersed", "分散": "dispersed", "分散供养": "dispersed"}  # fmt: skip
EMERGENCY_TYPES = {"emergency": "emergency", "急难": "emergency", "急难型": "emergency",
                   "expenditure": "expenditure", "支出": "expenditure", "支出型": "expenditure"}  # fmt: skip
# Friendly override names → (catalogue parameters, converter from the given value).
RATIO_OVERRIDES = {
    "marginal_multiplier": "marginal_pct",
    "rigid_ratio": "rigid_ratio_pct",
    "floor_share": "floor_pct",
    "tekun_basic_multiplier": "tekun_basic_pct",
}


class AssessError(BilingualError):
    """The household document is wrong; ``field`` says where (e.g. ``members[1].birth_date``)."""

    def __init__(self, path: str, message: str, message_en: str) -> None:
        super().__init__("invalid", f"{path}：{message}", f"{path}: {message_en}")
        self.path = path


@lru_cache(maxsize=1)
def rulesets() -> dict[str, Ruleset]:
    """The five programme rule sets, loaded and checked once."""
    from minzheng.engine import load_ruleset

    return {p: load_ruleset(RULES / f"{p}.yaml") for p in PROGRAMMES}


# --- the document ---------------------------------------------------------------------------
@dataclass
class Member:
    id_number: str | None
    relationship: str
    sex: str
    birth_date: dt.date | None
    incomes: dict[str, int]  # kind → monthly fen
    disability_category: str = ""
    disability_grade: str = ""
    self_care_failed: int = 0
    serious_illness: bool = False
    labour_capacity: str = "full"
    schooling: str = ""
    medical_fen: int = 0
    education_fen: int = 0


@dataclass
class Household:
    division: str
    date: dt.date
    urban: bool
    members: list[Member]
    financial_fen: int = 0
    homes: int = 0
    vehicles: int = 0
    business: bool = False
    supporters_able: bool = False
    care_mode: str = "dispersed"
    emergency_type: str | None = None
    emergency_need_fen: int = 0
    overrides: dict[str, int] = field(default_factory=dict)


def parse(doc: Any, *, today: dt.date | None = None) -> Household:
    """Check the JSON document and return a :class:`Household` (raises :class:`AssessError`)."""
    if not isinstance(doc, Mapping):
        raise AssessError("$", "须为 JSON 对象", "must be a JSON object")
    known = {"division", "date", "urban", "members", "assets", "supporters_able", "care_mode",
             "emergency", "parameters"}  # fmt: skip
    _unknown(doc, known, "$")
    division = str(doc.get("division") or "").strip()
    if (
        not (division.isascii() and division.isdigit())
        or len(division) not in (2, 4, 6, 9, 12)
        or not division.strip("0")  # "000000": no province, nowhere to take standards from
    ):
        raise AssessError(
            "division", "须为 2–12 位区划代码", "must be a division code (2–12 digits)"
        )
    day = _date(doc.get("date"), "date") or today or dt.date.today()
    urban = _bool(doc.get("urban", True), "urban")
    members_doc = doc.get("members")
    if not isinstance(members_doc, list) or not members_doc:
        raise AssessError("members", "须列出至少一名家庭成员", "must list at least one member")
    members = [_member(m, i, day) for i, m in enumerate(members_doc)]
    assets = doc.get("assets") or {}
    if not isinstance(assets, Mapping):
        raise AssessError("assets", "须为对象", "must be an object")
    _unknown(assets, {"financial", "homes", "vehicles", "business"}, "assets")
    hh = Household(
        division=division,
        date=day,
        urban=urban,
        members=members,
        financial_fen=_fen(assets.get("financial", 0), "assets.financial"),
        homes=_count(assets.get("homes", 0), "assets.homes"),
        vehicles=_count(assets.get("vehicles", 0), "assets.vehicles"),
        business=_bool(assets.get("business", False), "assets.business"),
        supporters_able=_bool(doc.get("supporters_able", False), "supporters_able"),
    )
    mode = doc.get("care_mode") or "dispersed"
    if str(mode) not in CARE_MODES:
        raise AssessError(
            "care_mode",
            "须为 集中/centralised 或 分散/dispersed",
            "must be centralised or dispersed",
        )
    hh.care_mode = CARE_MODES[str(mode)]
    emergency = doc.get("emergency")
    if emergency is not None:
        if not isinstance(emergency, Mapping):
            raise AssessError("emergency", "须为对象或 null", "must be an object or null")
        _unknown(emergency, {"type", "need", "description"}, "emergency")
        kind = str(emergency.get("type") or "")
        if kind not in EMERGENCY_TYPES:
            raise AssessError(
                "emergency.type",
                "须为 急难型/emergency 或 支出型/expenditure",
                "must be emergency or expenditure",
            )
        hh.emergency_type = EMERGENCY_TYPES[kind]
        hh.emergency_need_fen = _fen(emergency.get("need", 0), "emergency.need")
    hh.overrides = overrides(doc.get("parameters") or {}, urban=urban)
    return hh


def _member(m: Any, i: int, day: dt.date) -> Member:
    where = f"members[{i}]"
    if not isinstance(m, Mapping):
        raise AssessError(where, "须为对象", "must be an object")
    known = {"id_number", "name", "relationship", "sex", "birth_date", "monthly_income", "incomes",
             "disability", "self_care_failed", "serious_illness", "in_school", "labour_capacity",
             "schooling", "annual_medical_expense", "annual_education_expense"}  # fmt: skip
    _unknown(m, known, where)
    from minzheng.identity import resident_id

    number, birth, sex = None, _date(m.get("birth_date"), f"{where}.birth_date"), "0"
    if m.get("id_number"):
        try:
            rid = resident_id.parse(str(m["id_number"]), today=day)
        except resident_id.InvalidId as err:
            raise AssessError(f"{where}.id_number", err.message, err.message_en) from None
        number, sex = rid.number, rid.sex
        birth = birth or rid.birth_date
    if m.get("sex"):
        found = codes.lookup(str(m["sex"]), codes.SEX, codes.SEX_ALIASES)
        if found is None:
            raise AssessError(f"{where}.sex", "无法识别", "not recognised")
        sex = found
    rel = "02" if i == 0 else "97"
    if m.get("relationship"):
        found = codes.lookup(str(m["relationship"]), codes.RELATIONSHIP, codes.RELATIONSHIP_ALIASES)
        if found is None:
            raise AssessError(f"{where}.relationship", "无法识别的家庭关系", "unknown relationship")
        rel = found
    incomes: dict[str, int] = {}
    if m.get("monthly_income") not in (None, ""):
        incomes["declared"] = _fen(m["monthly_income"], f"{where}.monthly_income")
    by_kind = m.get("incomes") or {}
    if not isinstance(by_kind, Mapping):
        raise AssessError(f"{where}.incomes", "须为 {收入类别: 月收入}", "must map kind → monthly")
    for kind, amount in by_kind.items():
        if kind not in codes.INCOME_KIND:
            raise AssessError(
                f"{where}.incomes.{kind}",
                f"未知收入类别（可用：{'、'.join(codes.INCOME_KIND)}）",
                f"unknown income kind (known: {', '.join(codes.INCOME_KIND)})",
            )
        incomes[kind] = incomes.get(kind, 0) + _fen(amount, f"{where}.incomes.{kind}")
    member = Member(number, rel, sex, birth, incomes)
    disability = m.get("disability")
    if disability:
        if not isinstance(disability, Mapping):
            raise AssessError(f"{where}.disability", "须为 {category, grade}", "must be an object")
        cat = codes.lookup(str(disability.get("category", "")), codes.DISABILITY,
                           codes.DISABILITY_ALIASES)  # fmt: skip
        grade = codes.lookup(str(disability.get("grade", "")), codes.DISABILITY_GRADE,
                             codes.DISABILITY_GRADE_ALIASES)  # fmt: skip
        if cat is None:
            raise AssessError(
                f"{where}.disability.category", "无法识别的残疾类别", "unknown category"
            )
        if grade is None:
            raise AssessError(f"{where}.disability.grade", "残疾等级须为 1–4", "grade must be 1–4")
        member.disability_category, member.disability_grade = cat, grade
    failed = _count(m.get("self_care_failed", 0) or 0, f"{where}.self_care_failed")
    if failed > 6:
        raise AssessError(
            f"{where}.self_care_failed", "日常生活活动只有 6 项", "there are 6 daily activities"
        )
    member.self_care_failed = failed
    member.serious_illness = _bool(m.get("serious_illness", False), f"{where}.serious_illness")
    _bool(m.get("in_school", False), f"{where}.in_school")
    if m.get("labour_capacity"):
        found = codes.lookup(str(m["labour_capacity"]), codes.LABOUR, codes.LABOUR_ALIASES)
        if found is None:
            raise AssessError(f"{where}.labour_capacity", "无法识别", "not recognised")
        member.labour_capacity = found
    if m.get("schooling"):
        if str(m["schooling"]) not in codes.SCHOOLING:
            raise AssessError(f"{where}.schooling", "无法识别", "not recognised")
        member.schooling = str(m["schooling"])
    member.medical_fen = _fen(
        m.get("annual_medical_expense", 0) or 0, f"{where}.annual_medical_expense"
    )
    member.education_fen = _fen(
        m.get("annual_education_expense", 0) or 0, f"{where}.annual_education_expense"
    )
    return member


def overrides(given: Any, *, urban: bool = True) -> dict[str, int]:
    """``parameters`` of the document → catalogue names and stored values.

    Catalogue names take their display unit (yuan for money); ``dibao_standard`` is the
    monthly standard in yuan (it sets the urban and the rural one); ratios may be given as
    multipliers (``marginal_multiplier: 1.5``); ``benefit_method`` as ``gap``/``tiered``.
    """
    from minzheng.assistance.catalogue import check_range

    if not isinstance(given, Mapping):
        raise AssessError("parameters", "须为对象", "must be an object")
    out: dict[str, int] = {}
    for key, value in given.items():
        where = f"parameters.{key}"
        try:
            if key == "dibao_standard":
                fen = from_display(SPECS["dibao_urban_fen"], value)
                out["dibao_urban_fen"] = out["dibao_rural_fen"] = fen
            elif key == "dibao_standard_yearly":
                yearly = from_display(SPECS["dibao_rural_fen"], value)
                fen = (yearly * 2 // 12 + 1) // 2  # monthly, half-up to the fen
                out["dibao_urban_fen"] = out["dibao_rural_fen"] = fen
            elif key == "disposable_income":
                fen = from_display(SPECS["disposable_urban_fen"], value)
                out["disposable_urban_fen"] = out["disposable_rural_fen"] = fen
            elif key in RATIO_OVERRIDES:
                ratio = Decimal(str(value))
                if not ratio.is_finite():
                    raise AssessError(
                        where, "须为有限的数字，不能是无穷大或 NaN", "must be a finite number"
                    )
                check_range(SPECS[RATIO_OVERRIDES[key]], ratio, scale=100)  # before * 100
                pct = ratio * 100
                if pct != pct.to_integral_value():
                    raise AssessError(where, "须精确到 1%", "must be exact to 1%")
                out[RATIO_OVERRIDES[key]] = int(pct)
            elif key == "benefit_method" and value in ("gap", "tiered", "补差", "分档"):
                out["benefit_method"] = 2 if value in ("tiered", "分档") else 1
            elif key in SPECS:
                out[key] = from_display(SPECS[key], value)
            else:
                raise AssessError(where, "未知参数", "unknown parameter")
        except BilingualError as err:
            if isinstance(err, AssessError):
                raise
            raise AssessError(where, err.message, err.message_en) from None
        except (InvalidOperation, ValueError):
            raise AssessError(where, "须为数字", "must be a number") from None
    return out


def _unknown(m: Mapping, known: set[str], where: str) -> None:
    extra = sorted(str(k) for k in m if k not in known)
    if extra:
        raise AssessError(
            f"{where}.{extra[0]}" if where != "$" else extra[0],
            f"未知字段（可用：{', '.join(sorted(known))}）",
            f"unknown field (known: {', '.join(sorted(known))})",
        )


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise AssessError(where, "日期格式须为 YYYY-MM-DD", "date must be YYYY-MM-DD") from None


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    raise AssessError(where, "须为 true 或 false", "must be true or false")


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AssessError(where, "须为非负整数", "must be a whole number ≥ 0")
    return value


def _fen(value: Any, where: str) -> int:
    """Yuan (number or text) → fen, exact; more than two decimals is an error."""
    from minzheng.assistance.catalogue import MAX_MONEY_FEN

    if isinstance(value, bool) or value is None:
        raise AssessError(where, "须为金额（元）", "must be an amount in yuan")
    try:
        yuan = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise AssessError(where, "须为金额（元）", "must be an amount in yuan") from None
    if not yuan.is_finite():  # Infinity, NaN (Python's json reads them): int() cannot
        raise AssessError(
            where, "须为有限的金额（元），不能是无穷大或 NaN", "must be a finite amount in yuan"
        )
    top = Decimal(MAX_MONEY_FEN) / 100
    if yuan > top:  # before scaling: 1e999999999 * 100 overflows
        raise AssessError(where, f"金额不能超过 {top:.2f} 元", f"must be at most {top:.2f} yuan")
    if yuan < 0:
        raise AssessError(where, "金额须为非负数且精确到分", "must be ≥ 0 and exact to the fen")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise AssessError(where, "金额须为非负数且精确到分", "must be ≥ 0 and exact to the fen")
    return int(fen)


# --- the household as engine tables -----------------------------------------------------------
def tables(hh: Household) -> tuple[pa.Table, dict[str, pa.Table]]:
    """The division table and the household's rows, keyed like a registry snapshot."""
    import pyarrow as pa

    from minzheng.engine import catalog
    from minzheng.engine.synthetic import division_table

    division, sk = division_table([hh.division])
    dsk = sk[hh.division.ljust(12, "0")]

    def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
        spec = catalog.REGISTRY[name]
        return pa.table(
            {c: [r.get(c) for r in rows] for c in spec.columns}, schema=spec.arrow_schema()
        )

    people = [
        {
            "person_sk": i + 1,
            "household_sk": 1,
            "relationship": m.relationship,
            "sex": m.sex,
            "birth_date": m.birth_date,
            "id_number": m.id_number,
            "id_status": "valid",
            "hukou_division_sk": dsk,
            "residence_division_sk": dsk,
            "urban": hh.urban,
            "labour_capacity": m.labour_capacity,
            "disability_category": m.disability_category,
            "disability_grade": m.disability_grade,
            "self_care_failed": m.self_care_failed,
            "health": "serious" if m.serious_illness else "healthy",
            "schooling": m.schooling,
        }
        for i, m in enumerate(hh.members)
    ]
    income = [
        {"person_sk": i + 1, "kind": kind, "monthly_fen": fen}
        for i, m in enumerate(hh.members)
        for kind, fen in m.incomes.items()
    ]
    asset = [
        {"household_sk": 1, "person_sk": None, "kind": kind, "value_fen": value, "quantity": n}
        for kind, value, n in (
            ("financial", hh.financial_fen, 1),
            ("home", 0, hh.homes),
            ("vehicle", 0, hh.vehicles),
            ("business", 0, int(hh.business)),
        )
        if (value if kind == "financial" else n)
    ]
    expense = [
        {"person_sk": i + 1, "kind": kind, "annual_fen": fen}
        for i, m in enumerate(hh.members)
        for kind, fen in (("medical", m.medical_fen), ("education", m.education_fen))
        if fen
    ]
    declaration = pa.table(
        {
            "household_sk": [1],
            "supporters_able": [hh.supporters_able],
            "care_mode": [hh.care_mode],
            "emergency_type": [hh.emergency_type],
            "emergency_need_fen": [hh.emergency_need_fen],
        },
        schema=pa.schema(
            [
                ("household_sk", pa.int64()),
                ("supporters_able", pa.bool_()),
                ("care_mode", pa.string()),
                ("emergency_type", pa.string()),
                ("emergency_need_fen", pa.int64()),
            ]
        ),
    )
    household = {
        "household_sk": 1,
        "ref": "assess",
        "hukou_division_sk": dsk,
        "residence_division_sk": dsk,
        "urban": hh.urban,
        "head_sk": 1,
    }
    return division, {
        "household": table("household", [household]),
        "person": table("person", people),
        "income": table("income", income),
        "asset": table("asset", asset),
        "declaration": declaration,
        "expense": pa.table(
            {
                "person_sk": pa.array([e["person_sk"] for e in expense], pa.int64()),
                "kind": pa.array([e["kind"] for e in expense], pa.string()),
                "annual_fen": pa.array([e["annual_fen"] for e in expense], pa.int64()),
            }
        ),
    }


# --- running the rules ----------------------------------------------------------------------
class _Cache:
    """Online evaluators per (programme, date, division), per thread; parameters swapped in."""

    def __init__(self, size: int = 32) -> None:
        self.local = threading.local()
        self.size = size

    def get(self, key: tuple, params: tuple, make: Any, table: Any) -> Online:
        store: OrderedDict[tuple, tuple[Online, tuple]] = (
            getattr(self.local, "store", None) or OrderedDict()
        )
        self.local.store = store
        if key in store:
            store.move_to_end(key)
            online, seen = store[key]
            if seen != params:
                online.set_parameters(table())
                store[key] = (online, params)
            return online
        online = make()
        store[key] = (online, params)
        while len(store) > self.size:
            _, (old, _) = store.popitem(last=False)
            old.close()
        return online


_CACHE = _Cache()


def assess(
    doc: Any, *, rows: Sequence[dict[str, Any]] | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Every programme's answer for the household ``doc`` (see the module docstring).

    ``rows`` are the stored parameter rows (``parameters.parameter_rows()``); without them
    the catalogue's national defaults apply. The document's ``parameters`` override both.
    """
    from minzheng.engine.online import Online

    hh = parse(doc, today=today)
    base = list(rows) if rows is not None else default_rows()
    merged = [r for r in base if r["name"] not in hh.overrides] + [
        {"name": n, "division": "", "value": v, "valid_from": dt.date(1900, 1, 1), "valid_to": None}
        for n, v in hh.overrides.items()
    ]
    division, given = tables(hh)
    fingerprint = tuple(
        sorted(
            (r["name"], r["division"], r["value"], r["valid_from"], r["valid_to"]) for r in merged
        )
    )
    made: list[pa.Table] = []

    def table() -> pa.Table:
        if not made:
            made.append(engine_table(merged))
        return made[0]

    out: dict[str, Any] = {}
    for name, rs in rulesets().items():

        def make(rs: Ruleset = rs) -> Online:
            return Online(rs, as_of=hh.date, division=division, parameter=table())

        online = _CACHE.get((name, hh.date, hh.division), fingerprint, make, table)
        out[name] = _programme(name, online.evaluate(given), hh)
    return {
        "division": hh.division,
        "date": hh.date.isoformat(),
        "urban": hh.urban,
        "members": len(hh.members),
        "programmes": out,
    }


def _programme(name: str, found: list[Evaluation], hh: Household) -> dict[str, Any]:
    """One programme's answer: household rules give one evaluation, person rules one each."""
    title, title_en = TITLES[name]
    if name == "tekun":
        people = [_answer(e) | {"member": e.subject_sk - 1} for e in sorted(found, key=_sk)]
        amount = sum(p["monthly_amount_fen"] for p in people if p["eligible"])
        return {
            "title": title,
            "title_en": title_en,
            "eligible": any(p["eligible"] for p in people),
            "monthly_amount": _yuan(amount),
            "monthly_amount_fen": amount,
            "covered_persons": sum(1 for p in people if p["eligible"]),
            "members": people,
            "reasons": [r | {"member": p["member"]} for p in people for r in p["reasons"]],
        }
    e = found[0]
    answer = _answer(e)
    answer.update(title=title, title_en=title_en)
    if name == "dibao":
        answer["covered_persons"] = e.values.get("covered") if answer["eligible"] else 0
        answer["method"] = "tiered" if e.values.get("benefit_method") == 2 else "gap"
    if name == "temporary":
        answer["one_off"] = True
        answer["type"] = hh.emergency_type
    return answer


def _sk(e: Evaluation) -> int:
    return e.subject_sk


def _answer(e: Evaluation) -> dict[str, Any]:
    amount = int(e.amount_fen or 0) if e.flag else 0
    return {
        "eligible": bool(e.flag),
        "monthly_amount": _yuan(amount),
        "monthly_amount_fen": amount,
        "calculation": e.amount_text,
        "reasons": [
            {"test": c.name, "title": c.title, "passed": bool(c.result), "text": c.text}
            for c in e.conditions
        ],
        "values": e.values,
    }


def _yuan(fen: int) -> float:
    """Fen → yuan with two decimals (exact for any amount a benefit can reach)."""
    return float((Decimal(fen) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))

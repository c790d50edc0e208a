"""Checking one import row: every cell parsed or rejected with row, column and reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from minzheng.accounts.scope import scope_of
from minzheng.divisions.selectors import code_maps, known_address_codes
from minzheng.identity.names import name_initials, name_key, name_pinyin, normalise_name
from minzheng.identity.resident_id import InvalidId, parse
from minzheng.registry import codes
from minzheng.registry.importing.columns import BY_KEY
from minzheng.registry.importing.readers import Cell, bad_cells
from minzheng.registry.importing.values import BadValue, code_text, date_value, money_fen, text
from minzheng.registry.models import Household, Location, Person


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "reason_en": self.reason_en,
        }


@dataclass
class PersonRow:
    """A validated row: what the registry should hold for this person."""

    row: int
    household_ref: str
    name: str
    name_key: str
    pinyin: str
    initials: str
    id_number: str | None
    id_status: str
    sex: str
    birth_date: dt.date | None
    relationship: str
    hukou_division_id: int
    residence_division_id: int | None
    address: str
    urban: bool | None
    monthly_income_fen: int | None
    disability_category: str
    disability_grade: str
    labour_capacity: str
    phone: str
    notes: list[RowError] = field(default_factory=list)


class DivisionIndex:
    """Every division code (current and retired) in memory for one import run."""

    def __init__(self) -> None:
        self.maps = code_maps()
        self.code_of = {pk: code for code, pk in self.maps.current.items()}

    def resolve(self, raw: str) -> tuple[int, bool] | None:
        """(division pk, was_retired) for a 6/9/12-digit code, or ``None`` if unknown."""
        if not (raw.isascii() and raw.isdigit()) or len(raw) not in (6, 9, 12):
            return None
        return self.maps.resolve(raw)


@dataclass(frozen=True)
class ImportScope:
    """Which division codes an import may write: the actor's jurisdiction.

    The system import account (CLI default) is unrestricted; a named user imports only
    rows whose hukou or residence lies inside their division, as on the web.
    """

    low: str | None = None
    high: str | None = None

    @classmethod
    def for_actor(cls, actor: object) -> ImportScope:
        if getattr(actor, "username", None) == settings.MINZHENG_SYSTEM_USER:
            return cls()
        scope = scope_of(actor)
        if scope.everything:
            return cls()
        if scope.nothing:
            return cls(low="~", high="~")  # no 12-digit code sorts between these
        return cls(*scope.code_range)

    def allows(self, code12: str | None) -> bool:
        if self.low is None:
            return True
        return code12 is not None and self.low <= code12 <= str(self.high)


def max_length(*fields: tuple[type[Any], str]) -> int:
    """The shortest ``max_length`` among the model fields a value is written to."""
    return min(model._meta.get_field(name).max_length for model, name in fields)


# Text the row writes as given, and the columns it goes to: longer is a row error (on
# PostgreSQL it would fail the whole chunk; SQLite would store it whole).
TEXT_LIMITS = {
    "household_ref": max_length((Household, "ref")),
    "name": max_length((Person, "name")),
    "address": max_length((Household, "address"), (Location, "address")),
    "phone": max_length((Person, "phone")),
}
# Search keys derived from the name: cut to their columns (a long transliterated name
# still matches on its first syllables), never a reason to refuse the person.
DERIVED_LIMITS = {
    "name_key": max_length((Person, "name_key")),
    "pinyin": max_length((Person, "pinyin")),
    "initials": max_length((Person, "initials")),
}


def too_long(limit: int) -> tuple[str, str]:
    """The reason a cell is longer than its column, in Chinese and English."""
    return f"超过最大长度 {limit} 个字符", f"longer than {limit} characters"


OUTSIDE = (
    "不在您的辖区内：户籍地和居住地都不属于您的管辖区划",
    "outside your jurisdiction: neither hukou nor residence is in your division",
)


class RowChecker:
    """Validates rows one by one; collects errors without stopping."""

    def __init__(
        self,
        headers: dict[str, str],
        divisions: DivisionIndex,
        today: dt.date,
        scope: ImportScope | None = None,
    ) -> None:
        self.scope = scope or ImportScope()
        self.headers = headers  # column key → header text as it appears in the file
        self.divisions = divisions
        self.today = today
        self.address_codes = known_address_codes()

    def _err(self, row: int, key: str, reason: str, reason_en: str) -> RowError:
        return RowError(row, self.headers.get(key, BY_KEY[key].zh), reason, reason_en)

    def check(self, rownum: int, cells: dict[str, Cell]) -> PersonRow | list[RowError]:
        """A :class:`PersonRow`, or the list of everything wrong with the row."""
        unreadable = [self._err(rownum, k, c.reason, c.reason_en) for k, c in bad_cells(cells)]
        if unreadable:
            return unreadable
        errors: list[RowError] = []
        values: dict[str, Any] = {}
        for key in ("household_ref", "name", "relationship", "hukou_division"):
            if not text(cells.get(key)):
                errors.append(
                    self._err(
                        rownum, key, f"{BY_KEY[key].zh}不能为空", f"{BY_KEY[key].en} is required"
                    )
                )
        steps = (
            self._identity,
            self._relationship,
            self._divisions,
            self._money,
            self._condition,
            self._misc,
        )
        for step in steps:
            try:
                step(rownum, cells, values, errors)
            except BadValue as exc:  # a step raising means its own column is bad
                errors.append(self._err(rownum, values.pop("_col"), exc.reason, exc.reason_en))
        for key, limit in TEXT_LIMITS.items():
            if len(values.get(key) or "") > limit:
                errors.append(self._err(rownum, key, *too_long(limit)))
        if errors:
            return errors
        values.pop("_col", None)
        for key, limit in DERIVED_LIMITS.items():
            values[key] = values[key][:limit]
        return PersonRow(row=rownum, **values)

    def _identity(
        self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list
    ) -> None:
        name = normalise_name(text(cells.get("name")))
        v.update(
            household_ref=text(cells.get("household_ref")),
            name=name,
            name_key=name_key(name) if name else "",
            pinyin=name_pinyin(name) if name else "",
            initials=name_initials(name) if name else "",
        )
        raw = cells.get("id_number")
        v.update(id_number=None, id_status="missing", sex="0", birth_date=None)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = f"{raw:.14e}" if isinstance(raw, float) else f"{float(raw):.14e}"
        if text(raw):
            try:
                rid = parse(text(raw), known_address_codes=self.address_codes, today=self.today)
            except InvalidId as exc:
                errors.append(self._err(rownum, "id_number", exc.message, exc.message_en))
                return
            v.update(
                id_number=rid.number, id_status="valid", sex=rid.sex, birth_date=rid.birth_date
            )
        v["_col"] = "birth_date"
        born = date_value(cells.get("birth_date"))
        if v["birth_date"] is None:
            v["birth_date"] = born
            if born is not None and born < self.today - dt.timedelta(days=366):
                v["id_status"] = "missing"
            elif born is not None:
                v["id_status"] = "unregistered"

    def _relationship(
        self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list
    ) -> None:
        raw = code_text(cells.get("relationship"))
        code = codes.lookup(raw, codes.RELATIONSHIP, codes.RELATIONSHIP_ALIASES) if raw else ""
        if raw and code is None:
            errors.append(
                self._err(
                    rownum,
                    "relationship",
                    f"与户主关系“{raw}”无法识别，请填写 GB/T 4761 代码或名称",
                    f"unknown relationship '{raw}'; use a GB/T 4761 code or name",
                )
            )
        v["relationship"] = code or ""

    def _division(
        self, rownum: int, key: str, cells: dict[str, Cell], v: dict[str, Any], errors: list
    ) -> int | None:
        raw = code_text(cells.get(key))
        if not raw:
            return None
        found = self.divisions.resolve(raw)
        if found is None:
            errors.append(
                self._err(
                    rownum, key, f"行政区划代码“{raw}”不存在", f"unknown division code '{raw}'"
                )
            )
            return None
        pk, retired = found
        if retired:
            code = self.divisions.code_of[pk]
            v.setdefault("notes", []).append(
                self._err(
                    rownum,
                    key,
                    f"区划代码 {raw} 已撤销，已对应到现行区划 {code[:6]}",
                    f"division code {raw} is retired; mapped to its successor {code[:6]}",
                )
            )
        return pk

    def _divisions(
        self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list
    ) -> None:
        hukou = self._division(rownum, "hukou_division", cells, v, errors)
        residence = self._division(rownum, "residence_division", cells, v, errors)
        v["hukou_division_id"], v["residence_division_id"] = hukou, residence
        codes = [self.divisions.code_of.get(pk) for pk in (hukou, residence) if pk]
        if hukou and not any(self.scope.allows(c) for c in codes):
            errors.append(self._err(rownum, "hukou_division", *OUTSIDE))

    def _money(self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list) -> None:
        v["_col"] = "monthly_income"
        v["monthly_income_fen"] = money_fen(cells.get("monthly_income"))

    def _coded(
        self,
        rownum: int,
        key: str,
        cells: dict[str, Cell],
        table: dict,
        aliases: dict,
        errors: list,
    ) -> str:
        raw = text(cells.get(key))
        if not raw:
            return ""
        code = codes.lookup(raw, table, aliases)
        if code is None:
            allowed = "、".join(table.values())
            errors.append(
                self._err(
                    rownum,
                    key,
                    f"“{raw}”不是有效的{BY_KEY[key].zh}，可填：{allowed}",
                    f"'{raw}' is not a valid {BY_KEY[key].en}",
                )
            )
            return ""
        return code

    def _condition(
        self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list
    ) -> None:
        cat = self._coded(
            rownum, "disability_category", cells, codes.DISABILITY, codes.DISABILITY_ALIASES, errors
        )
        grade = self._coded(
            rownum,
            "disability_grade",
            cells,
            codes.DISABILITY_GRADE,
            codes.DISABILITY_GRADE_ALIASES,
            errors,
        )
        if grade and not cat and not text(cells.get("disability_category")):
            errors.append(
                self._err(
                    rownum,
                    "disability_category",
                    "填写了残疾等级但缺少残疾类别",
                    "a disability grade needs a disability category",
                )
            )
        v.update(
            disability_category=cat,
            disability_grade=grade,
            labour_capacity=self._coded(
                rownum, "labour_capacity", cells, codes.LABOUR, codes.LABOUR_ALIASES, errors
            ),
        )

    def _misc(self, rownum: int, cells: dict[str, Cell], v: dict[str, Any], errors: list) -> None:
        raw = text(cells.get("urban_rural"))
        urban: bool | None = None
        if raw in codes.URBAN_RURAL_CLASSES:
            urban = raw.startswith("1")
        elif raw:
            code = codes.lookup(raw, codes.URBAN, codes.URBAN_ALIASES)
            if code is None:
                errors.append(
                    self._err(
                        rownum,
                        "urban_rural",
                        f"城乡类别“{raw}”无效，应为 城镇 或 农村",
                        f"urban/rural '{raw}' is invalid; use 城镇 or 农村",
                    )
                )
            else:
                urban = code == "1"
        v.update(
            urban=urban,
            address=text(cells.get("address")),
            phone=code_text(cells.get("phone")),
        )

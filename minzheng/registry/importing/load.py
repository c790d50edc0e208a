"""Writing validated rows: households in chunks, each chunk one transaction.

Rows are matched to what exists (persons by ID number, else by household and name),
so importing the same file again changes nothing and a changed cell updates only
its row. A household never spans two chunks, so a crash leaves no half-written one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.services import Audit, audit_record
from minzheng.core.bulk import fast_insert, fast_update
from minzheng.core.dated import DatedBatch, differs
from minzheng.core.models import Dated
from minzheng.registry import codes
from minzheng.registry.importing.validate import ImportScope, PersonRow, RowError
from minzheng.registry.models import Condition, Household, Income, Location, Membership, Person

PERSON_FIELDS = (
    "name",
    "name_key",
    "pinyin",
    "initials",
    "sex",
    "birth_date",
    "id_status",
    "hukou_division_id",
    "residence_division_id",
    "phone",
    "relationship",
    "household_id",
)
LOCATION_FIELDS = ("hukou_division_id", "residence_division_id", "address", "urban")
CONDITION_FIELDS = ("disability_category", "disability_grade", "labour_capacity")
HOUSEHOLD_FIELDS = (
    "hukou_division_id",
    "residence_division_id",
    "address",
    "urban",
    "needs_review",
    "review_note",
)


@dataclass
class Outcome:
    """What a chunk did, row by row."""

    status: dict[int, str] = field(default_factory=dict)  # row → created/updated/unchanged
    errors: list[RowError] = field(default_factory=list)
    audits: list[Audit] = field(default_factory=list)


def _household_values(rows: list[PersonRow]) -> dict[str, Any]:
    heads = [r for r in rows if r.relationship == codes.HEAD]
    src = heads[0] if heads else rows[0]
    return {
        "hukou_division_id": src.hukou_division_id,
        "residence_division_id": src.residence_division_id or src.hukou_division_id,
        "address": src.address,
        "urban": src.urban,
        "needs_review": not heads,
        "review_note": ""
        if heads
        else "户主信息缺失或被拒绝，请核实 / head of household missing or rejected",
    }


def _person_values(r: PersonRow, household_id: int) -> dict[str, Any]:
    return {
        "name": r.name,
        "name_key": r.name_key,
        "pinyin": r.pinyin,
        "initials": r.initials,
        "sex": r.sex,
        "birth_date": r.birth_date,
        "id_status": r.id_status,
        "hukou_division_id": r.hukou_division_id,
        "residence_division_id": r.residence_division_id or r.hukou_division_id,
        "phone": r.phone,
        "relationship": r.relationship,
        "household_id": household_id,
    }


class ChunkWriter:
    """Applies one chunk of households inside the caller's transaction."""

    def __init__(
        self,
        groups: list[tuple[str, list[PersonRow]]],
        on: dt.date,
        scope: ImportScope | None = None,
        code_of: dict[int, str] | None = None,
    ) -> None:
        self.on = on
        self.out = Outcome()
        self.scope = scope or ImportScope()
        self.code_of = code_of or {}
        refs = [ref for ref, _ in groups]
        self.households = {h.ref: h for h in Household.objects.filter(ref__in=refs)}
        self.groups = self._writable(groups)
        ids = [r.id_number for _, rows in groups for r in rows if r.id_number]
        self.by_id = {p.id_number: p for p in Person.objects.filter(id_number__in=ids)}
        hh_ids = [h.pk for h in self.households.values()]
        self.by_name = {
            (p.household_id, p.name): p
            for p in Person.objects.filter(household_id__in=hh_ids, id_number__isnull=True)
        }
        self.batches: dict[type[Dated], DatedBatch] = {
            m: DatedBatch(m, f)
            for m, f in (
                (Membership, ("household_id", "relationship")),
                (Location, LOCATION_FIELDS),
                (Condition, Condition.FIELDS),
                (Income, ("monthly_fen", "source")),
            )
        }

    def visible(self, hh: Household) -> bool:
        """Whether the importing user may see (and so change) an existing household."""
        pks = (hh.hukou_division_id, hh.residence_division_id)
        codes = [self.code_of.get(pk) for pk in pks if pk is not None]
        return any(self.scope.allows(c) for c in codes if c)

    def _writable(
        self, groups: list[tuple[str, list[PersonRow]]]
    ) -> list[tuple[str, list[PersonRow]]]:
        """Drop households whose ref belongs to another jurisdiction, rejecting their rows."""
        kept = []
        for ref, rows in groups:
            hh = self.households.get(ref)
            if hh is not None and not self.visible(hh):
                self.out.errors += [
                    RowError(
                        r.row,
                        "户编号",
                        f"户编号 {ref} 已被其他地区使用，请核对户编号",
                        f"household ref {ref} is used by another area; check the ref",
                    )
                    for r in rows
                ]
                del self.households[ref]
                continue
            kept.append((ref, rows))
        return kept

    def run(self, before_household: Callable[[str], None] | None = None) -> Outcome:
        new_households = []
        for ref, rows in self.groups:
            if before_household:
                before_household(ref)
            values = _household_values(rows)
            hh = self.households.get(ref)
            if hh is None:
                hh = Household(ref=ref, **values)
                new_households.append(hh)
                self.households[ref] = hh
            elif differs(hh, values, HOUSEHOLD_FIELDS):
                for k, v in values.items():
                    setattr(hh, k, v)
                hh.save(update_fields=[*HOUSEHOLD_FIELDS, "updated_at"])
        fast_insert(Household, new_households, with_ids=True)
        self._persons()
        return self.out

    def _owner(self, person: Person) -> Household | None:
        for hh in self.households.values():
            if hh.pk == person.household_id:
                return hh
        return Household.objects.filter(pk=person.household_id or 0).first()

    def _match(self, ref: str, r: PersonRow) -> Person | RowError | None:
        hh = self.households[ref]
        if r.id_number:
            p = self.by_id.get(r.id_number)
            if p is not None and p.household_id not in (None, hh.pk):
                owner = self._owner(p)
                if owner is None or not self.visible(owner):
                    return RowError(
                        r.row,
                        "公民身份号码",
                        "该身份证号已在其他地区登记，请联系上级民政部门核实",
                        "this ID number is registered in another area; "
                        "ask the higher-level office to check",
                    )
                return RowError(
                    r.row,
                    "公民身份号码",
                    f"该身份证号已在户 {owner.ref} 中登记；人员迁移请使用“人员迁户”功能",
                    f"this ID number is already registered in household {owner.ref}; "
                    "use the person move operation",
                )
            return p
        return self.by_name.get((hh.pk, r.name))

    def _persons(self) -> None:
        created: list[tuple[Person, PersonRow]] = []
        updated: list[tuple[Person, PersonRow, dict]] = []
        for ref, rows in self.groups:
            hh = self.households[ref]
            for r in rows:
                p = self._match(ref, r)
                if isinstance(p, RowError):
                    self.out.errors.append(p)
                    continue
                values = _person_values(r, hh.pk)
                if p is None:
                    created.append((Person(id_number=r.id_number, **values), r))
                else:
                    updated.append((p, r, values))
        fast_insert(Person, [p for p, _ in created], with_ids=True)
        for p, r in created:
            self._facts(p, r, new=True)
            self.out.status[r.row] = "created"
            self.out.audits.append(
                Audit("create", "person", p.pk, p.household_id, summary=f"导入新增 {p.name}")
            )
        changed_people = []
        for p, r, values in updated:
            diff = {
                k: [str(getattr(p, k)), str(v)] for k, v in values.items() if getattr(p, k) != v
            }
            for k, v in values.items():
                setattr(p, k, v)
            fact_diff = self._facts(p, r, new=False)
            diff.update(fact_diff)
            if diff:
                changed_people.append(p)
                self.out.status[r.row] = "updated"
                self.out.audits.append(
                    Audit(
                        "update", "person", p.pk, p.household_id, diff, summary=f"导入更新 {p.name}"
                    )
                )
            else:
                self.out.status[r.row] = "unchanged"
        fast_update(Person, changed_people, PERSON_FIELDS)
        self._heads()
        for b in self.batches.values():
            b.flush()

    def _heads(self) -> None:
        heads = {}
        for ref, rows in self.groups:
            for r in rows:
                if r.relationship == codes.HEAD and self.out.status.get(r.row):
                    heads[ref] = r
        to_save = []
        for ref, r in heads.items():
            hh = self.households[ref]
            p = self.by_id.get(r.id_number) if r.id_number else None
            pk = (
                p.pk
                if p
                else Person.objects.filter(household=hh, name=r.name)
                .values_list("pk", flat=True)
                .first()
            )
            if hh.head_id != pk:
                hh.head_id = pk
                to_save.append(hh)
        fast_update(Household, to_save, ["head"])

    def _facts(self, p: Person, r: PersonRow, *, new: bool) -> dict[str, Any]:
        """Queue the dated facts of ``p`` that differ from the row; returns the diff."""
        if new and r.id_number:
            self.by_id[r.id_number] = p
        cur = {} if new else self._current(p)
        diff: dict[str, Any] = {}
        wanted: dict[type[Dated], dict[str, Any]] = {
            Membership: {"household_id": p.household_id, "relationship": r.relationship},
            Location: {
                "hukou_division_id": p.hukou_division_id,
                "residence_division_id": p.residence_division_id,
                "address": r.address,
                "urban": r.urban,
            },
            Condition: {
                "disability_category": r.disability_category,
                "disability_grade": r.disability_grade,
                "labour_capacity": r.labour_capacity,
            },
        }
        if r.monthly_income_fen is not None:
            wanted[Income] = {"monthly_fen": r.monthly_income_fen, "source": "import"}
        for model, values in wanted.items():
            row = cur.get(model)
            fields = list(values) if model is not Income else ["monthly_fen"]
            if not differs(row, values, fields):
                continue
            if row is not None:
                diff[model.__name__.lower()] = {
                    f: [str(getattr(row, f)), str(values[f])]
                    for f in fields
                    if getattr(row, f) != values[f]
                }
            keep = (
                {f: getattr(row, f) for f in Condition.FIELDS}
                if (model is Condition and row is not None)
                else {}
            )
            extra = {"kind": "declared"} if model is Income else {}
            factory: Any = model
            self.batches[model].change(
                row, factory(person=p, **{**keep, **values, **extra}), on=self.on
            )
        return diff

    def _current(self, p: Person) -> dict[type, Any]:
        return self._current_cache.get(p.pk, {})

    def prefetch_current(self, people: Iterable[Person]) -> None:
        pks = [p.pk for p in people]
        cache: dict[int, dict[type, Any]] = {pk: {} for pk in pks}
        for model in (Membership, Location, Condition):
            for row in model.objects.current().filter(person_id__in=pks):
                cache[row.person_id][model] = row
        for row in Income.objects.current().filter(person_id__in=pks, kind="declared"):
            cache[row.person_id][Income] = row
        self._current_cache = cache


def apply_chunk(
    groups: list[tuple[str, list[PersonRow]]],
    *,
    on: dt.date,
    actor: User,
    before_household: Callable[[str], None] | None = None,
    scope: ImportScope | None = None,
    code_of: dict[int, str] | None = None,
) -> Outcome:
    """Write one chunk of households atomically; returns row statuses and row errors."""
    with transaction.atomic():
        writer = ChunkWriter(groups, on, scope, code_of)
        writer.prefetch_current([*writer.by_id.values(), *writer.by_name.values()])
        out = writer.run(before_household)
        audit_record(actor=actor, source="import", events=out.audits)
    return out

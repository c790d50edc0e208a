"""Writing the registry: every change a service, audited, in one transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from minzheng.accounts.models import User
from minzheng.accounts.scope import covers
from minzheng.accounts.services import Audit, audit_record
from minzheng.core.dated import supersede
from minzheng.divisions.models import Division
from minzheng.identity.names import name_initials, name_key, name_pinyin, normalise_name
from minzheng.identity.resident_id import parse
from minzheng.registry import codes
from minzheng.registry.models import (
    Asset,
    Condition,
    Household,
    IdStatus,
    Income,
    Location,
    Membership,
    Person,
)

OUTSIDE_JURISDICTION = "该区划不在您的辖区内 / that division is outside your jurisdiction"


def _audit(actor: User, action: str, obj: Person | Household, changes: dict, summary: str) -> None:
    hh = obj.pk if isinstance(obj, Household) else obj.household_id
    audit_record(
        actor=actor,
        events=[Audit(action, type(obj).__name__.lower(), obj.pk, hh, changes, summary)],
    )


@transaction.atomic
def household_register(
    *,
    actor: User,
    ref: str,
    hukou_division: Division,
    residence_division: Division | None = None,
    address: str = "",
    urban: bool | None = None,
) -> Household:
    """Open a new household file."""
    hh = Household(
        ref=ref,
        hukou_division=hukou_division,
        residence_division=residence_division or hukou_division,
        address=address,
        urban=urban,
    )
    hh.full_clean()
    hh.save()
    _audit(actor, "create", hh, {"ref": ref}, f"新建家庭档案 {ref}")
    return hh


@transaction.atomic
def person_register(
    *,
    actor: User,
    household: Household,
    name: str,
    relationship: str,
    on: dt.date,
    id_number: str | None = None,
    birth_date: dt.date | None = None,
    sex: str = "0",
) -> Person:
    """Add a person to ``household`` from ``on`` (ID number optional: newborns, the unidentified)."""
    rid = parse(id_number) if id_number else None
    name = normalise_name(name)
    p = Person(
        name=name,
        name_key=name_key(name),
        pinyin=name_pinyin(name),
        initials=name_initials(name),
        id_number=rid.number if rid else None,
        id_status=IdStatus.VALID if rid else IdStatus.MISSING,
        sex=rid.sex if rid else sex,
        birth_date=rid.birth_date if rid else birth_date,
        hukou_division=household.hukou_division,
        residence_division=household.residence_division,
        household=household,
        relationship=relationship,
    )
    p.full_clean(exclude=["name_key"])
    p.save()
    Membership.objects.create(
        person=p, household=household, relationship=relationship, valid_from=on
    )
    Location.objects.create(
        person=p,
        hukou_division=household.hukou_division,
        residence_division=household.residence_division,
        address=household.address,
        urban=household.urban,
        valid_from=on,
    )
    if relationship == codes.HEAD and household.head_id is None:
        household.head = p
        household.save(update_fields=["head"])
    _audit(actor, "create", p, {"household": household.ref}, f"登记人员 {name}")
    return p


@transaction.atomic
def person_move(
    *, actor: User, person: Person, to: Household, relationship: str, on: dt.date
) -> Membership:
    """Move ``person`` to household ``to`` from ``on``; the old membership ends that day."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    current = Membership.objects.current().filter(person=person).first()
    old_ref = current.household.ref if current else None
    m = supersede(
        current,
        Membership(person=person, household=to, relationship=relationship),
        on=on,
        fields=["household_id", "relationship"],
    )
    person.household, person.relationship = to, relationship
    person.save(update_fields=["household", "relationship", "updated_at"])
    if old_ref and current is not None:
        Household.objects.filter(pk=current.household_id, head=person).update(
            head=None, needs_review=True
        )
    _audit(
        actor,
        "move",
        person,
        {"household": [old_ref, to.ref], "on": on.isoformat()},
        f"{person.name} 迁入户 {to.ref}",
    )
    return m


@transaction.atomic
def person_relocate(
    *,
    actor: User,
    person: Person,
    on: dt.date,
    hukou_division: Division | None = None,
    residence_division: Division | None = None,
    address: str | None = None,
) -> Location:
    """Record a change of hukou and/or residence from ``on``."""
    current = Location.objects.current().filter(person=person).first()
    new = Location(
        person=person,
        hukou_division=hukou_division or person.hukou_division,
        residence_division=residence_division or person.residence_division,
        address=address if address is not None else (current.address if current else ""),
        urban=current.urban if current else None,
    )
    loc = supersede(
        current,
        new,
        on=on,
        fields=["hukou_division_id", "residence_division_id", "address", "urban"],
    )
    before = [person.hukou_division_id, person.residence_division_id]
    person.hukou_division, person.residence_division = new.hukou_division, new.residence_division
    person.save(update_fields=["hukou_division", "residence_division", "updated_at"])
    _audit(
        actor,
        "relocate",
        person,
        {"divisions": [before, [new.hukou_division_id, new.residence_division_id]]},
        f"{person.name} 户籍/居住地变更",
    )
    return loc


@transaction.atomic
def person_correct_id(*, actor: User, person: Person, id_number: str, reason: str) -> Person:
    """Correct a person's ID number (audited with the old number and the reason)."""
    rid = parse(id_number)
    if Person.objects.filter(id_number=rid.number).exclude(pk=person.pk).exists():
        raise ValueError(
            "该身份证号已属于另一人员，请使用人员合并 / "
            "the number belongs to another person; merge the records instead"
        )
    old = person.id_number
    person.id_number, person.id_status = rid.number, IdStatus.VALID
    person.sex, person.birth_date = rid.sex, rid.birth_date
    person.save(update_fields=["id_number", "id_status", "sex", "birth_date", "updated_at"])
    _audit(
        actor,
        "correct_id",
        person,
        {"id_number": [old, rid.number], "reason": reason},
        f"更正 {person.name} 的身份证号",
    )
    return person


@transaction.atomic
def person_merge(*, actor: User, keep: Person, duplicate: Person, reason: str) -> Person:
    """Merge ``duplicate`` into ``keep``: its dated facts move over, it is retired.

    The duplicate's open membership is closed today; ``keep`` stays in its household.
    """
    if keep.pk == duplicate.pk:
        raise ValueError("不能与自身合并 / cannot merge a record with itself")
    # Lock both rows in primary-key order so concurrent merges cannot deadlock.
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
        .order_by("pk")
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    today = dt.date.today()
    Membership.objects.current().filter(person=duplicate).update(valid_to=today)
    for model in (Income, Condition, Location):
        model.objects.filter(person=duplicate, valid_to__isnull=False).update(person=keep)
        model.objects.current().filter(person=duplicate).update(valid_to=today)
    Asset.objects.filter(person=duplicate).update(person=keep)
    if not keep.id_number and duplicate.id_number:
        keep.id_number, keep.id_status = duplicate.id_number, duplicate.id_status
        duplicate.id_number = None
        duplicate.save(update_fields=["id_number"])
        keep.save(update_fields=["id_number", "id_status", "updated_at"])
    Household.objects.filter(head=duplicate).update(head=keep)
    duplicate.merged_into, duplicate.household = keep, None
    duplicate.save(update_fields=["merged_into", "household", "updated_at"])
    _audit(
        actor,
        "merge",
        keep,
        {"merged": duplicate.pk, "reason": reason},
        f"合并重复人员记录 {duplicate.pk} → {keep.pk}",
    )
    return keep


def _changed(obj: object, values: dict) -> dict[str, list[str]]:
    return {k: [str(getattr(obj, k)), str(v)] for k, v in values.items() if getattr(obj, k) != v}


@transaction.atomic
def household_update(
    *, actor: User, household: Household, on: dt.date, **values: object
) -> Household:
    """Change a household's address, residence division or urban flag (audited with a diff).

    A new residence division also moves every current member's residence from ``on``.
    """
    allowed = {"address", "residence_division", "urban"}
    values = {k: v for k, v in values.items() if k in allowed}
    division = values.get("residence_division")
    if division is not None and not covers(actor, division):  # type: ignore[arg-type]
        raise ValidationError({"residence_division": OUTSIDE_JURISDICTION})
    diff = _changed(household, values)
    if not diff:
        return household
    for k, v in values.items():
        setattr(household, k, v)
    household.full_clean()
    household.save()
    if "residence_division" in diff:
        for person in Person.objects.filter(household=household):
            person_relocate(
                actor=actor,
                person=person,
                on=on,
                residence_division=household.residence_division,
                address=household.address,
            )
    _audit(actor, "update", household, diff, f"修改家庭档案 {household.ref}")
    return household


PERSON_EDITABLE = ("name", "phone")
CONDITION_EDITABLE = (
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "health",
    "schooling",
    "self_care_failed",
)


@transaction.atomic
def person_update(*, actor: User, person: Person, on: dt.date, **values: object) -> Person:
    """Change a person's name, phone or condition (condition changes are dated from ``on``)."""
    own = {k: v for k, v in values.items() if k in PERSON_EDITABLE}
    cond = {k: v for k, v in values.items() if k in CONDITION_EDITABLE}
    diff = _changed(person, own)
    if "name" in own:
        name = normalise_name(str(own["name"]))
        own.update(
            name=name,
            name_key=name_key(name),
            pinyin=name_pinyin(name),
            initials=name_initials(name),
        )
    for k, v in own.items():
        setattr(person, k, v)
    current = Condition.objects.current().filter(person=person).first()
    base = {f: getattr(current, f) for f in Condition.FIELDS} if current else {}
    cond_diff = (
        _changed(current, cond)
        if current
        else {k: ["", str(v)] for k, v in cond.items() if v not in ("", None)}
    )
    if cond_diff:
        supersede(
            current,
            Condition(person=person, **{**base, **cond}),
            on=on,
            fields=list(Condition.FIELDS),
        )
        diff.update(cond_diff)
    if diff:
        person.full_clean(exclude=["name_key"])
        person.save()
        _audit(actor, "update", person, diff, f"修改人员信息 {person.name}")
    return person


@transaction.atomic
def household_mark_reviewed(*, actor: User, household: Household) -> Household:
    """Clear a household's review flag after a caseworker has checked it."""
    if household.needs_review:
        note = household.review_note
        household.needs_review, household.review_note = False, ""
        household.save(update_fields=["needs_review", "review_note", "updated_at"])
        _audit(actor, "reviewed", household, {"note": note}, f"已核实家庭档案 {household.ref}")
    return household


@transaction.atomic
def person_death_record(*, actor: User, person: Person, on: dt.date, source: str = "") -> Person:
    """Record a death (from a public-security feed or a caseworker). Listeners of
    :data:`minzheng.registry.signals.person_died` stop what depends on the person
    (assistance enrolments, pending payments) in the same transaction."""
    from minzheng.registry.signals import person_died

    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.died_on == on:
        return person
    before = person.died_on
    person.died_on = on
    person.save(update_fields=["died_on", "updated_at"])
    _audit(actor, "death", person, {"died_on": [str(before) if before else None, on.isoformat()],
                                     "source": source}, f"{person.name} 死亡（{on.isoformat()}）")  # fmt: skip
    person_died.send(sender=Person, person=person, on=on, actor=actor)
    return person

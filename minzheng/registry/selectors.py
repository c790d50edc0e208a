"""Reading the registry. Every selector of personal data takes the actor and filters by
jurisdiction through ``visible_to`` (see :mod:`minzheng.accounts.scope`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from minzheng.accounts.models import AuditEvent
from minzheng.accounts.scope import scope_of, within
from minzheng.divisions.models import Division
from minzheng.identity.names import name_key, normalise_name
from minzheng.identity.resident_id import InvalidId, mask, normalise, parse
from minzheng.registry.models import Asset, Household, Income, Membership, Person

_ID_LIKE = re.compile(r"^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")
_ASCII = re.compile(r"^[A-Za-z ]+$")


def registry_summary(actor: object) -> dict[str, Any]:
    """Headline counts within ``actor``'s jurisdiction for the home page."""
    persons = Person.objects.active().visible_to(actor)
    households = Household.objects.visible_to(actor)
    return {
        "divisions": Division.objects.current().count(),
        "households": households.count(),
        "persons": persons.count(),
        "needs_review": households.filter(needs_review=True).count(),
        "no_division": persons.filter(hukou_division__isnull=True).count(),
    }


@dataclass(frozen=True)
class SearchCriteria:
    """What a household search asked for; ``audit_form`` never holds a full ID number."""

    q: str = ""
    division: Division | None = None
    needs_review: bool = False

    def audit_form(self) -> dict[str, Any]:
        q = self.q.strip()
        shown = mask(normalise(q)) if _ID_LIKE.match(normalise(q)) else q
        return {
            "q": shown,
            "division": self.division.code if self.division else None,
            "needs_review": self.needs_review,
        }


def _text_filter(q: str) -> Q:
    q = q.strip()
    number = normalise(q)
    if _ID_LIKE.match(number):
        with contextlib.suppress(InvalidId):
            number = parse(number).number
        return Q(members__id_number=number)
    if _ASCII.match(q):
        key = q.replace(" ", "").lower()
        return Q(members__name_key__startswith=key) | Q(members__initials=key)
    name = normalise_name(q)
    return (
        Q(members__name__contains=name)
        | Q(members__name_key=name_key(name))
        | Q(address__contains=q)
        | Q(ref=q)
    )


def households_search(actor: object, criteria: SearchCriteria) -> QuerySet[Household]:
    """Households visible to ``actor`` matching an ID number, name, pinyin, address or ref."""
    qs = Household.objects.visible_to(actor)
    if criteria.division is not None:
        qs = within(qs, criteria.division, "hukou_division", "residence_division")
    if criteria.needs_review:
        qs = qs.filter(needs_review=True)
    if criteria.q.strip():
        matching = Household.objects.filter(_text_filter(criteria.q)).values("pk")
        qs = qs.filter(pk__in=matching)
    return (
        qs.select_related("hukou_division", "residence_division", "head")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("ref")
    )


def persons_search(
    actor: object, q: str = "", id_number: str = "", division: Division | None = None
) -> QuerySet[Person]:
    """Persons visible to ``actor`` by exact ID number or by name/pinyin, inside ``division``."""
    qs = (
        Person.objects.active()
        .visible_to(actor)
        .select_related("household", "hukou_division", "residence_division")
    )
    if division is not None:
        qs = within(qs, division, "hukou_division", "residence_division")
    if id_number:
        try:
            number = parse(id_number).number
        except InvalidId:
            number = normalise(id_number)
        return qs.filter(id_number=number).order_by("pk")
    if q:
        key = name_key(normalise_name(q)) if not _ASCII.match(q) else q.replace(" ", "").lower()
        qs = qs.filter(Q(name__contains=q) | Q(name_key__startswith=key) | Q(initials=key))
    return qs.order_by("name", "pk")


@dataclass
class HouseholdFile:
    """Everything on a household's page."""

    household: Household
    members: list[Person]
    incomes: list[Income]
    assets: list[Asset]
    history: list[Membership]
    timeline: list[AuditEvent]


def household_file(actor: object, household: Household) -> HouseholdFile:
    """The household's file: members visible to ``actor``, incomes, assets and timeline."""
    members = list(
        Person.objects.active()
        .visible_to(actor)
        .filter(household=household)
        .select_related("hukou_division", "residence_division")
        .prefetch_related("conditions")
        .order_by("relationship", "pk")
    )
    member_ids = [m.pk for m in members]
    return HouseholdFile(
        household=household,
        members=members,
        incomes=list(
            Income.objects.current()
            .filter(person_id__in=member_ids)
            .select_related("person")
            .order_by("person_id", "kind")
        ),
        assets=list(Asset.objects.current().filter(household=household).order_by("kind")),
        history=list(
            Membership.objects.filter(household=household)
            .select_related("person")
            .order_by("-valid_from", "person_id")[:200]
        ),
        timeline=list(
            AuditEvent.objects.filter(household_id=household.pk)
            .exclude(action__in=["read", "search", "export"])
            .select_related("actor")
            .order_by("-at", "-id")[:200]
        ),
    )


def household_members_as_of(household: Household, day: dt.date) -> list[Membership]:
    """The members of ``household`` as it stood on ``day``."""
    return list(
        Membership.objects.as_of(day)
        .filter(household=household)
        .select_related("person")
        .order_by("relationship", "person_id")
    )


def division_children(actor: object, parent: Division | None) -> list[Division]:
    """Sub-divisions for the tree: under ``parent``, or the actor's own division at the top."""
    if parent is None:
        top = getattr(actor, "division", None)
        return [top] if top is not None else []
    scope = scope_of(actor)
    if scope.nothing:
        return []
    kids = Division.objects.current().filter(parent=parent).order_by("code")
    if scope.everything:
        return list(kids)
    low, high = scope.code_range
    return list(kids.filter(code__gte=low, code__lte=high))

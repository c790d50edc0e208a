"""Reading the registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count

from minzheng.divisions.models import Division
from minzheng.registry.models import Household, Membership, Person


def registry_summary() -> dict[str, Any]:
    """Headline counts and per-county totals (by hukou division) for the landing page."""
    by_county = (
        Person.objects.filter(household__isnull=False)
        .values("hukou_division__code")
        .annotate(n=Count("id"))
    )
    county_counts: dict[str, int] = {}
    for row in by_county:
        code = row["hukou_division__code"] or ""
        key = code[:6].ljust(12, "0")
        county_counts[key] = county_counts.get(key, 0) + row["n"]
    hh_counts: dict[str, int] = {}
    for row in Household.objects.values("hukou_division__code").annotate(n=Count("id")):
        key = (row["hukou_division__code"] or "")[:6].ljust(12, "0")
        hh_counts[key] = hh_counts.get(key, 0) + row["n"]
    names = dict(
        Division.objects.current().filter(code__in=county_counts).values_list("code", "name")
    )
    return {
        "divisions": Division.objects.current().count(),
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "needs_review": Household.objects.filter(needs_review=True).count(),
        "by_county": [
            {
                "code": c[:6],
                "name": names.get(c, "?"),
                "persons": n,
                "households": hh_counts.get(c, 0),
            }
            for c, n in sorted(county_counts.items())
        ],
    }


def household_members_as_of(household: Household, day: dt.date) -> list[Membership]:
    """The members of ``household`` as it stood on ``day``."""
    return list(
        Membership.objects.as_of(day)
        .filter(household=household)
        .select_related("person")
        .order_by("relationship", "person_id")
    )

"""Helpers shared by the roster and price pages: the counties a user may open."""

from __future__ import annotations

from typing import Any

from minzheng.accounts.scope import covers
from minzheng.assistance import cases as svc
from minzheng.divisions.models import Division, Level


def user_counties(user: Any) -> list[Division]:
    """Counties whose rosters the user may open (a township sees its own county's, filtered
    to its own payees on the roster page; only county staff and above download them)."""
    d = user.division
    if d is None or not user.sees_personal_data:
        return []
    if d.level >= Level.COUNTY:
        return [svc.county_of(d)]
    return list(Division.objects.within(d).filter(level=Level.COUNTY).order_by("code")[:500])


def downloadable_counties(user: Any) -> list[Division]:
    """The counties whose rosters the user may download: those the user covers."""
    return [c for c in user_counties(user) if covers(user, c)]

"""Fixture data: two counties and two sibling townships with one household each, and their users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from minzheng.registry import services
from tests.conftest import ids, make_user

ON = dt.date(2024, 1, 1)


@dataclass
class World:
    users: dict[str, Any]
    households: dict[str, Any]
    persons: dict[str, Any]


def _household(actor, division, ref, town, names, id_numbers, residence=None):  # type: ignore[no-untyped-def]
    hh = services.household_register(
        actor=actor,
        ref=ref,
        hukou_division=division(town),
        residence_division=division(residence) if residence else None,
        address=f"{ref}路1号",
    )
    people = [
        services.person_register(
            actor=actor, household=hh, name=n, relationship=rel, on=ON, id_number=num
        )
        for n, num, rel in zip(names, id_numbers, ("02", "10", "20"), strict=False)
    ]
    return hh, people


@pytest.fixture
def world(db, division) -> World:  # type: ignore[no-untyped-def]
    """County 1 = 天河区 440106 (townships 001, 002); county 2 = 越秀区 440104."""
    users = {
        "county1": make_user("county1", "440106", "approver"),
        "county2": make_user("county2", "440104", "approver"),
        "town1": make_user("town1", "440106001", "caseworker"),
        "town2": make_user("town2", "440106002", "caseworker"),
        "nation": make_user("nation", "", "analyst"),
        "admin": make_user("admin", "", "sysadmin", is_staff=True),
    }
    op = users["county1"]
    n1 = ids(3, county="440106", year=1950)
    n2 = ids(3, county="440104", year=1951)
    n3 = ids(2, county="440106", year=1952)
    n4 = ids(1, county="440106", year=1953)
    h1, p1 = _household(op, division, "T1-HH", "440106001", ["甲一", "甲二", "甲三"], n1)
    h2, p2 = _household(op, division, "Y1-HH", "440104003", ["乙一", "乙二", "乙三"], n2)
    h3, p3 = _household(op, division, "T2-HH", "440106002", ["丙一", "丙二"], n3)
    # Hukou in county 1, lives in county 2: both counties see this household.
    h4, p4 = _household(op, division, "MV-HH", "440106001", ["迁一"], n4, residence="440104003")
    return World(
        users=users,
        households={"t1": h1, "y1": h2, "t2": h3, "moved": h4},
        persons={"t1": p1, "y1": p2, "t2": p3, "moved": p4},
    )


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client

"""API fixtures: users with a role and a division, a small registry across two counties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.accounts.models import User
from minzheng.registry.models import Asset, Income
from minzheng.registry.services import household_register, person_register
from tests.conftest import ids

PASSWORD = "correct-horse-battery-9"
D0 = dt.date(2024, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_state(db, settings):
    """Fast hashing; no throttle counts or axes failures carried over from another test.

    Axes keeps its failures in AccessAttempt rows, which the test transaction already
    rolls back; the reset makes the tests independent of that (and of the axes handler).
    The throttle counts live in the cache, which no transaction rolls back.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    axes_reset()


MakeUser = Callable[..., User]


@pytest.fixture
def make_user(division) -> MakeUser:
    """``make_user("cw", "caseworker", "440106")``: a user with that role and division."""

    def make(username: str, role: str | None = None, code: str | None = None) -> User:
        user = User.objects.create_user(
            username=username, password=PASSWORD, division=division(code) if code else None
        )
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client that sends ``user``'s token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token = Token.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def registry(actor, division) -> SimpleNamespace:
    """Households in townships 440106001 and 440106002 (Tianhe), 440104001 (Yuexiu), and
    one registered in Tianhe but living in Yuexiu."""
    tianhe, yuexiu = ids(4, county="440106"), ids(1, county="440104")

    def household(ref: str, hukou: str, residence: str | None = None, address: str = "") -> Any:
        return household_register(
            actor=actor,
            ref=ref,
            hukou_division=division(hukou),
            address=address,
            residence_division=division(residence) if residence else None,
        )

    def member(hh: Any, name: str, relationship: str, number: str) -> Any:
        return person_register(
            actor=actor, household=hh, name=name, relationship=relationship, on=D0, id_number=number
        )

    wushan = household("HH-WS-1", "440106001", address="五山路1号")
    chen1 = member(wushan, "陈一", "02", tianhe[0])
    chen2 = member(wushan, "陈二", "20", tianhe[1])
    yuancun = household("HH-YC-1", "440106002", address="员村二横路")
    lin3 = member(yuancun, "林三", "02", tianhe[2])
    hongqiao = household("HH-YX-1", "440104001", address="洪桥街")
    huang4 = member(hongqiao, "黄四", "02", yuexiu[0])
    mover = household("HH-MV-1", "440106001", residence="440104001", address="越秀北路")
    zhou5 = member(mover, "周五", "02", tianhe[3])
    Income.objects.create(person=chen1, kind="wage", monthly_fen=150000, valid_from=D0)
    Asset.objects.create(household=wushan, person=chen1, kind="vehicle", quantity=1, valid_from=D0)
    return SimpleNamespace(
        wushan=wushan,
        yuancun=yuancun,
        hongqiao=hongqiao,
        mover=mover,
        chen1=chen1,
        chen2=chen2,
        lin3=lin3,
        huang4=huang4,
        zhou5=zhou5,
    )

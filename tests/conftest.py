"""Shared fixtures: the test database gets the division list once per session."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.identity.resident_id import make_id


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load provinces, prefectures, counties, Guangdong's townships and the history."""
    from minzheng.divisions import services

    with django_db_blocker.unblock():
        services.divisions_load_official()
        services.divisions_load_subcounty(path=services.DATA_DIR / "townships.csv.gz", prefix="44")
        services.divisions_load_history()


@pytest.fixture
def actor(db):  # type: ignore[no-untyped-def]
    from minzheng.accounts.models import User

    return User.objects.create(username="tester")


@pytest.fixture
def division(db):  # type: ignore[no-untyped-def]
    """Returns a lookup: 6/9-digit code → current Division."""
    from minzheng.divisions.models import Division

    def get(code: str) -> Division:
        return Division.objects.current().get(code=code.ljust(12, "0"))

    return get


def ids(n: int, *, county: str = "440106", year: int = 1960) -> list[str]:
    """``n`` distinct synthetic ID numbers for ``county``."""
    return [
        make_id(county, dt.date(year + i % 40, 1 + i % 12, 1 + i % 28), 100 + i) for i in range(n)
    ]

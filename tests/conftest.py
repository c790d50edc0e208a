"""Shared fixtures: the test database gets the division list once per session."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.identity.resident_id import make_id

pytest_plugins = ["tests.world"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load provinces, prefectures, counties, Guangdong's townships and the history."""
    from minzheng.accounts.services import ensure_role_groups
    from minzheng.divisions import services

    with django_db_blocker.unblock():
        ensure_role_groups()
        services.divisions_load_official()
        services.divisions_load_subcounty(path=services.DATA_DIR / "townships.csv.gz", prefix="44")
        services.divisions_load_history()


@pytest.fixture(autouse=True)
def _inline_jobs(settings):  # type: ignore[no-untyped-def]
    """Background jobs run before the response in tests, and axes forgets past failures."""
    settings.MINZHENG_INLINE_JOBS = True
    settings.MINZHENG_2FA = "off"  # tests that check two factors turn it on
    # Argon2 is the real hasher (checked in tests/web); MD5 keeps fixtures fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Nothing cached by one test (dashboard figures, drill-down lists) reaches the next:
    their keys hold primary keys and dates that the next test's data may reuse."""
    from django.core.cache import cache

    cache.clear()


def make_user(username: str, code: str, *roles: str, **extra):  # type: ignore[no-untyped-def]
    """A user bound to the division ``code`` (6/9 digits, "" = nation) holding ``roles``."""
    from django.contrib.auth.models import Group

    from minzheng.accounts.models import User
    from minzheng.divisions.models import Division

    division = Division.objects.current().get(code=(code or "").ljust(12, "0"))
    user = User.objects.create_user(
        username=username, password="pw-" + username, division=division, **extra
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def actor(db):  # type: ignore[no-untyped-def]
    """A national-level caseworker: may write anywhere."""
    return make_user("tester", "", "caseworker")


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


@pytest.fixture(scope="session")
def pg_roles(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Owner, app and batch roles on the PostgreSQL test database (ADR 005); skips on SQLite."""
    import re

    from django.db import connection

    from minzheng.accounts.dbroles import Roles, roles_create

    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; the embedded SQLite has none")
    stem = re.sub(r"[^a-z0-9_]", "_", connection.settings_dict["NAME"].lower())[:40]
    roles = Roles(owner=f"{stem}_owner", app=f"{stem}_app", batch=f"{stem}_batch")
    with django_db_blocker.unblock(), connection.cursor() as cur:
        roles_create(cur, roles)
    yield roles
    with django_db_blocker.unblock(), connection.cursor() as cur:
        for role in (roles.owner, roles.app, roles.batch):  # roles outlive the test database
            cur.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            cur.execute(f'DROP OWNED BY "{role}"')
            cur.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def app_role(pg_roles, db):  # type: ignore[no-untyped-def]
    """The rest of the test runs as the app role (undone with the test's transaction)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f'SET LOCAL ROLE "{pg_roles.app}"')
    return pg_roles.app

"""The whole REST API against its own OpenAPI schema, property-based (Schemathesis).

Schemathesis loads the schema the app serves at ``/api/schema/`` and calls every operation
in it in-process through the WSGI application (no server, the pytest-django test database),
signed in with county1's token (approver, 天河区 440106) over the ``world`` registry:
the coverage phase (boundary values, wrong types, other methods and media types), then
``MAX_EXAMPLES`` generated requests per operation, valid and invalid ones. Generation is
derandomised (a fixed seed, no example database), so a run is the same on every machine.
It takes ~7 s, on SQLite or PostgreSQL (``DATABASE_URL``).

Every built-in response check runs: no 5xx, documented status codes, bodies and headers
that match the schema, documented content types, invalid input rejected with a 4xx, and
authentication enforced (the same request without or with a bad token is refused).
``RespondsWithSuccess`` fails the session when an operation never answered 2xx, so a run
answered only with 401/403/404 does not pass for a green one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.core.parameters import ParameterLocation

from minzheng.registry.models import Household, Person
from minzheng.wsgi import application

MAX_EXAMPLES = 25

CONFIG: dict[str, Any] = {
    "seed": 2026,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "mode": "all",
    },
    # The schema declares no links between operations: the stateful phase has nothing to chain.
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # Off, on purpose: "schema-valid" is not "valid" here. A division code of the right
        # shape that names no division (``917235547``) and a query ``q`` holding 15 digits in
        # a row (an ID number must travel in a POST body, never a URL) are rightly a 400,
        # and neither rule can be written as JSON Schema that generators honour.
        "positive_data_acceptance": {"enabled": False},
    },
}

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=schemathesis.Config.from_dict(CONFIG)
)

# The world's households and persons get fixed uids (they are random uuid4s otherwise),
# so the generated requests, and a failure's reproduction, are the same on every run.
HOUSEHOLDS = ("t1", "y1", "t2", "moved")  # y1 lies in 越秀区: county1 gets a 404
HOUSEHOLD_UIDS = [str(uuid.UUID(int=0x1000 + i)) for i in range(len(HOUSEHOLDS))]
PERSON_UIDS = [str(uuid.UUID(int=0x2000 + i)) for i in range(9)]
# The token endpoint is called with real credentials too (town1's, so county1's token stays).
SIGN_IN = {"username": "town1", "password": "pw-town1"}
# Entered statistics: county1's own county, a period and a data set it has filled in (the
# fixture), so that valid requests can succeed; generated codes name no division.
STATS_QUERY = {"period": "2024Q3", "division": "440106", "dataset": "divisions"}
STATS_SUBMIT = {"dataset": "divisions", "period": "2024Q3", "division": "440106"}
STATS_VALUES = {"division": "440106", "period": "2024Q3",
                "values": [{"indicator": "TD04", "value": "5"}]}  # fmt: skip


@schema.hook
def flatmap_case(ctx: Any, case: Any) -> st.SearchStrategy:
    """Valid requests also go to the world's objects and sign in with real credentials.

    A generated ``uid`` is a random uuid (always a 404) and a generated password is always
    wrong, so a valid case gets the generated value or a real one; an invalid case keeps
    its invalid part (it must still be rejected).
    """
    meta = case.meta

    def valid(location: ParameterLocation) -> bool:
        return meta is None or not meta.is_negative_at(location)

    path = ctx.operation.path
    if "{uid}" in path and valid(ParameterLocation.PATH):
        known = PERSON_UIDS if path.startswith("/api/v1/persons/") else HOUSEHOLD_UIDS
        return st.sampled_from([None, *known]).map(lambda uid: _with(case, "uid", uid))
    if path == "/api/v1/auth/token/" and valid(ParameterLocation.BODY):
        return st.booleans().map(lambda real: _with(case, "body", SIGN_IN if real else None))
    if path.startswith("/api/v1/stats/"):
        if case.method.upper() == "GET" and valid(ParameterLocation.QUERY):
            return st.booleans().map(
                lambda real: _with(case, "query", STATS_QUERY if real else None)
            )
        if case.method.upper() == "POST" and valid(ParameterLocation.BODY):
            body = STATS_SUBMIT if "{action}" in path else STATS_VALUES
            return st.booleans().map(lambda real: _with(case, "body", body if real else None))
    return st.just(case)


def _with(case: Any, part: str, value: Any) -> Any:
    if value is None:
        return case
    if part == "uid":
        case.path_parameters = {**case.path_parameters, "uid": value}
    elif part == "query":
        case.query = {**(case.query or {}), **value}
    else:
        case.body = dict(value)
    return case


@schemathesis.check
class RespondsWithSuccess:
    """Fails the run when an operation never answered 2xx (all 401/403/404 proves little)."""

    def __init__(self) -> None:
        self.statuses: dict[str, set[int]] = {}

    def after_response(self, ctx: Any, response: Any, case: Any) -> None:
        # The coverage phase also sends other methods (an OPTIONS answers 200): not counted.
        if response.request.method.upper() == case.operation.method.upper():
            self.statuses.setdefault(case.operation.label, set()).add(response.status_code)

    def after_run(self, ctx: Any) -> None:
        never = {
            label: sorted(seen)
            for label, seen in self.statuses.items()
            if not any(200 <= code < 300 for code in seen)
        }
        if never:
            raise AssertionError(
                f"operations that never answered 2xx (statuses seen): {never}; "
                "an operation whose test failed early may not have reached a valid request"
            )


@pytest.fixture
def county1(world: Any, settings: Any) -> dict[str, str]:
    """county1's token header, the world's fixed uids, and no throttle on signing in."""
    for key, uid in zip(HOUSEHOLDS, HOUSEHOLD_UIDS, strict=True):
        Household.objects.filter(pk=world.households[key].pk).update(uid=uid)
    people = [p for key in HOUSEHOLDS for p in world.persons[key]]
    for person, uid in zip(people, PERSON_UIDS, strict=True):
        Person.objects.filter(pk=person.pk).update(uid=uid)
    # 30 sign-ins a minute per address (tests/api/test_token.py checks it) would turn the
    # rest of the token endpoint's examples into 429s.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/min"},
    }
    from decimal import Decimal

    from minzheng.stats import datasets

    datasets.values_save(  # a whole, consistent data set: county1 can submit it
        actor=world.users["county1"],
        division=world.households["t1"].hukou_division.parent,
        period="2024Q3",
        entries={c: datasets.Entry(Decimal(v)) for c, v in
                 {"TD01": 10, "TD02": 3, "TD03": 2, "TD04": 5}.items()},
    )  # fmt: skip
    token = Token.objects.create(user=world.users["county1"])
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Requests go to the bare WSGI application, whose ``request_finished`` would close the
    database connection inside the test's transaction (on PostgreSQL; SQLite's in-memory test
    database ignores it). Django's test client disconnects the same handler."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
# The world and the token are shared by every generated request of an operation on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_matches_its_schema(case: Any, county1: dict[str, str]) -> None:
    case.call_and_validate(headers=county1)

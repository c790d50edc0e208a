"""Locust scenario for ``bench/bench_load.py``: caseworkers at work in the web application.

Each simulated user signs in through the login page (a session cookie, the CSRF token
from the form), then, 1–3 s apart, either looks up a person by ID number over the API
(``POST /api/v1/persons/search/``, the session plus ``X-CSRFToken``) or opens a household
file page (``GET /registry/households/<uid>/``, HTML). ID numbers and household uids are
sampled from the loaded population, each from the county its account covers.

Not meant to be run by hand (``bench_load.py`` starts it headless and reads what it
writes); the measured window opens once every user has signed in and lasts
``MZ_BENCH_SECONDS``, then the run stops itself. Settings come from the environment:

    MZ_BENCH_SAMPLES   JSON written by bench_load.py: accounts, ID numbers, household uids
    MZ_BENCH_OUT       where to write every request of the window (JSON)
    MZ_BENCH_SECONDS   length of the measured window
    MZ_BENCH_USERS     users to wait for before the window opens
    MINZHENG_DEMO_PASSWORD  the accounts' password (default: minzheng-demo)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task

SAMPLES: dict[str, Any] = json.loads(Path(os.environ["MZ_BENCH_SAMPLES"]).read_text("utf-8"))
OUT = os.environ["MZ_BENCH_OUT"]
SECONDS = float(os.environ.get("MZ_BENCH_SECONDS", "60"))
USERS = int(os.environ.get("MZ_BENCH_USERS", "1"))
PASSWORD = os.environ.get("MINZHENG_DEMO_PASSWORD", "minzheng-demo")
GRACE_S = 5.0  # requests started inside the window may finish after it closes
TIMEOUT_S = 30.0

SEARCH = "POST /api/v1/persons/search/"
HOUSEHOLD = "GET /registry/households/{uid}/"
LOGIN = "POST /accounts/login/"

_numbers = itertools.count()
_state: dict[str, Any] = {"signed_in": 0, "window": None}
_records: list[tuple[str, float, float, bool, int]] = []


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None = None,
    start_time: float | None = None,
    response: Any = None,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    _records.append((name, start_time or time.time(), response_time, exception is None, status))


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    Path(OUT).write_text(json.dumps({"window": _state["window"], "records": _records}), "utf-8")


def _signed_in(environment: Any) -> None:
    _state["signed_in"] += 1
    if _state["signed_in"] == USERS and _state["window"] is None:
        start = time.time()
        _state["window"] = [start, start + SECONDS]
        gevent.spawn_later(SECONDS + GRACE_S, environment.runner.quit)


class Caseworker(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        number = next(_numbers)
        account = SAMPLES["accounts"][number % len(SAMPLES["accounts"])]
        self.rng = random.Random(number)
        self.ids = SAMPLES["ids"][account["county"]]
        self.households = SAMPLES["households"][account["county"]]
        self.client.get("/accounts/login/", name="GET /accounts/login/", timeout=TIMEOUT_S)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": account["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name=LOGIN,
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as r:
            if r.status_code != 302 or "sessionid" not in self.client.cookies:
                r.failure(f"sign-in failed: {r.status_code}")
        _signed_in(self.environment)

    @task
    def lookup_by_id_number(self) -> None:
        with self.client.post(
            "/api/v1/persons/search/",
            json={"id_number": self.rng.choice(self.ids)},
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")},
            name=SEARCH,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif r.json().get("count") != 1:
                r.failure(f"expected 1 person, got {r.json().get('count')}")

    @task
    def open_household_file(self) -> None:
        with self.client.get(
            f"/registry/households/{self.rng.choice(self.households)}/",
            name=HOUSEHOLD,
            allow_redirects=False,  # a redirect would be the login page: a lost session
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")

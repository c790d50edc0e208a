"""Locust scenarios for ``bench/bench_load.py``: caseworkers and analysts at work.

Each simulated user signs in through the login page (a session cookie, the CSRF token
from the form), then works 1–3 s apart. Caseworkers (weight 4) look a person up by ID
number over the API (``POST /api/v1/persons/search/``, the session plus ``X-CSRFToken``),
open a household file page (``GET /registry/households/<uid>/``), open their warning inbox
(``GET /monitoring/``) and one warning (``GET /monitoring/<uid>/``), and edit a household
(``GET …/edit/`` then ``POST …/edit/`` with the address changed back and forth, which must
answer 302 to the household page; households living inside the county, as one living
outside the caseworker's jurisdiction cannot be saved with its residence unchanged). Analysts (weight 1) open the warning dashboard
(``GET /monitoring/dashboard/``), download the warnings as CSV
(``GET /monitoring/download/``), open the statistics page of their county
(``GET /stats/section/assistance/``) and download its quarterly report as Excel
(``GET /stats/report/<period>/xlsx/``). ID numbers, household uids and warning uids are sampled
from the loaded data, each from the county its account covers.

Not meant to be run by hand (``bench_load.py`` starts it headless and reads what it
writes); the measured window opens once every user has signed in and lasts
``MZ_BENCH_SECONDS``, then the run stops itself. Settings come from the environment:

    MZ_BENCH_SAMPLES   JSON written by bench_load.py: accounts, ID numbers, uids
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
import re
import time
from html.parser import HTMLParser
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
INBOX = "GET /monitoring/"
ALERT = "GET /monitoring/{uid}/"
EDIT_FORM = "GET /registry/households/{uid}/edit/"
EDIT = "POST /registry/households/{uid}/edit/"
DASHBOARD = "GET /monitoring/dashboard/"
DOWNLOAD = "GET /monitoring/download/"
STATS = "GET /stats/section/assistance/"
REPORT = "GET /stats/report/{period}/xlsx/"
MARK = " 附"  # appended to / removed from the address by the edit, back and forth

_numbers = {"caseworker": itertools.count(), "analyst": itertools.count()}
_state: dict[str, Any] = {"signed_in": 0, "window": None}
_records: list[tuple[str, float, float, bool, int, str | None]] = []


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
    why = None if exception is None else str(exception)[:200]
    _records.append(
        (name, start_time or time.time(), response_time, exception is None, status, why)
    )


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    Path(OUT).write_text(json.dumps({"window": _state["window"], "records": _records}), "utf-8")


def _signed_in(environment: Any) -> None:
    _state["signed_in"] += 1
    if _state["signed_in"] == USERS and _state["window"] is None:
        start = time.time()
        _state["window"] = [start, start + SECONDS]
        gevent.spawn_later(SECONDS + GRACE_S, environment.runner.quit)


class _Form(HTMLParser):
    """The fields of a rendered Django form: inputs' values, selects' selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "submit"):
            self.fields[name] = a.get("value") or ""
        elif tag == "input" and name and "checked" in a:
            self.fields[name] = a.get("value") or "on"
        elif tag == "textarea" and name:
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


class _Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    kind = "caseworker"

    def on_start(self) -> None:
        number = next(_numbers[self.kind])
        accounts = [a for a in SAMPLES["accounts"] if a.get("role", "caseworker") == self.kind]
        account = accounts[number % len(accounts)]
        self.rng = random.Random(f"{self.kind}-{number}")
        self.ids = SAMPLES["ids"][account["county"]]
        self.households = SAMPLES["households"][account["county"]]
        self.alerts = SAMPLES.get("alerts", {}).get(account["county"], [])
        self.editable = SAMPLES.get("editable", {}).get(account["county"]) or self.households
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

    def page(self, path: str, name: str, expect: str = "text/html") -> None:
        with self.client.get(
            path,
            name=name,
            allow_redirects=False,  # a redirect would be the login page: a lost session
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            elif expect not in r.headers.get("Content-Type", ""):
                r.failure(f"content type {r.headers.get('Content-Type')}")


class Caseworker(_Staff):
    weight = 4
    kind = "caseworker"

    @task(3)
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

    @task(3)
    def open_household_file(self) -> None:
        self.page(f"/registry/households/{self.rng.choice(self.households)}/", HOUSEHOLD)

    @task(1)
    def warning_inbox(self) -> None:
        self.page("/monitoring/", INBOX)
        if self.alerts:
            self.page(f"/monitoring/{self.rng.choice(self.alerts)}/", ALERT)

    @task(1)
    def edit_household(self) -> None:
        path = f"/registry/households/{self.rng.choice(self.editable)}/edit/"
        with self.client.get(
            path, name=EDIT_FORM, allow_redirects=False, timeout=TIMEOUT_S, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            form = _Form()
            form.feed(r.text)
            if "address" not in form.fields or "csrfmiddlewaretoken" not in form.fields:
                r.failure("no edit form in the page")
                return
        fields = form.fields
        address = fields["address"]
        fields["address"] = address[: -len(MARK)] if address.endswith(MARK) else address + MARK
        with self.client.post(
            path,
            data=fields,
            headers={"Referer": f"{self.host}{path}"},
            name=EDIT,
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as r:
            if r.status_code != 302 or not re.search(r"/registry/households/[0-9a-f-]+/$",
                                                     r.headers.get("Location", "")):  # fmt: skip
                said = re.findall(r'class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', r.text)
                r.failure(f"edit not saved: {r.status_code} {said[:2]}")


class Analyst(_Staff):
    weight = 1
    kind = "analyst"

    @task(2)
    def dashboard(self) -> None:
        self.page("/monitoring/dashboard/", DASHBOARD)

    @task(1)
    def download(self) -> None:
        self.page("/monitoring/download/", DOWNLOAD, expect="text/csv")

    @task(2)
    def statistics(self) -> None:
        """The social-assistance statistics page of the analyst's county (from snapshots)."""
        if SAMPLES.get("stats_period"):
            self.page("/stats/section/assistance/", STATS)

    @task(1)
    def report(self) -> None:
        """The quarterly statistics report of the analyst's county as Excel."""
        period = SAMPLES.get("stats_period")
        if period:
            self.page(f"/stats/report/{period}/xlsx/", REPORT, expect="spreadsheetml")

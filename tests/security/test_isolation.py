"""Jurisdiction isolation: every URL pattern and API route, probed across counties and townships.

A county-1 user probes county 2's objects (and a township user its sibling township's);
nothing of theirs may appear in a status, body, count, export or error message. Each
probe has a positive control: the owner's own user does see the object. Routes that hold
no personal data are listed with the reason; a route neither probed nor listed fails.
The second test removes the scoping filter and checks the first would then catch leaks.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.accounts import rls, scope
from minzheng.accounts.scope import EVERYTHING
from minzheng.identity.resident_id import mask
from minzheng.jobs.models import Job
from minzheng.registry.models import ImportBatch
from tests.world import World, login

# Routes with no personal data, and why.
NO_PERSONAL_DATA = {
    "set_language": "switches the interface language",
    "accounts:login": "sign-in form",
    "accounts:logout": "sign-out",
    "accounts:otp": "second-factor form",
    "accounts:audit": "audit administrator only (403 for data roles; tested in tests/accounts)",
    "accounts:audit_export": "audit administrator only (403 for data roles)",
    "api-schema": "the OpenAPI document",
    "api-docs": "Swagger UI page",
    "api:token": "issues the caller's own token",
    "api:assess": "a calculator over the posted household: reads parameters, no registry row",
    "healthz": "database and migration status only",
    "metrics": "request counts and latencies by route name (loopback or token only)",
    "registry:import": "the user's own upload form and own batches",
    "registry:import_template": "a blank template",
    "registry:household_create": "a blank form; a foreign division is refused (tests/web)",
    "assistance:simulate": "aggregates inside the user's own jurisdiction; only the user's own jobs",
    "assistance:parameters": "rule parameters (standards, thresholds): no personal data",
    "assistance:parameters_export": "the parameters in force as .xlsx: no personal data",
    "assistance:parameters_template": "a blank template",
    "assistance:parameters_import": "the user's own upload of parameters (refused outside it)",
    "monitoring:feed_template": "a blank template of a feed kind",
    # Statistics: aggregates only (their jurisdiction is tested in tests/stats); the list of
    # people behind a figure (stats:people) is probed below.
    "stats:dashboard": "aggregate figures of the user's own divisions (tests/stats)",
    "stats:section": "aggregate figures of the user's own divisions (tests/stats)",
    "stats:section_csv": "aggregate figures of the user's own divisions (tests/stats)",
    "stats:bigscreen": "aggregate headline figures of the user's own division",
    "stats:report_download": "the aggregate report of a division inside the jurisdiction",
    "stats:datasets": "entered aggregate values (institutions, beds …): no personal data",
    "stats:dataset_form": "entered aggregate values of a county: no personal data",
    "stats:dataset_action": "submit/approve/return of aggregate values",
    "stats:dataset_import": "the user's own upload of aggregate values",
    "stats:dataset_export": "entered aggregate values as CSV/ADX",
    "stats:dataset_template": "a template of aggregate values",
    "api:stats-values": "entered aggregate values: no personal data",
    "api:stats-approvals": "approval states of aggregate data sets",
    "api:stats-approval-action": "submit/approve/return of aggregate values",
}
# The other side's case and roster, set by run_probes for each probing pair.
FOREIGN: dict[str, Any] = {}
ADMIN_PREFIX = "admin:"  # Django admin: no registry model is registered; staff only


def walk(
    patterns: list[Any] | None = None, ns: str = "", prefix: str = ""
) -> Iterator[tuple[str, str]]:
    """(namespaced name, regex) of every named URL pattern."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            sub = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from walk(p.url_patterns, sub, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", prefix + str(p.pattern)


@dataclass
class Probe:
    """The secrets of the other side, and what every probe found."""

    secrets: list[str]
    probes: int = 0
    leaks: list[str] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)

    def check(self, route: str, who: str, status: int, text: str) -> None:
        self.probes += 1
        self.covered.add(route)
        found = [s for s in self.secrets if s in text]
        if found:
            self.leaks.append(f"{route} as {who}: status {status} shows {found}")


def body_text(resp: Any) -> str:
    """The response as text; an .xlsx attachment as the text of its cells."""
    ctype = resp.get("Content-Type", "")
    if "spreadsheetml" in ctype:
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(resp.content)).active
        return "\n".join(str(c) for row in ws.values for c in row if c is not None)
    content = getattr(resp, "content", b"")
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)


def without_echo(text: str, data: dict) -> str:
    """Drop the prober's own query echoed back in the search box or an export link."""
    for value in map(str, data.values()):
        text = text.replace(f'value="{value}"', "").replace(f"q={value}", "")
    return text


def secrets_of(hh: Any, people: list[Any]) -> list[str]:
    out = [hh.ref, str(hh.uid), hh.address]
    for p in people:
        out += [p.name, str(p.uid), p.id_number, mask(p.id_number)]
    return out


def api_client(user: Any) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return c


# How to call each route: method, kwargs builder, data — for the probing side.
def calls(route: str, target: Any, person: Any, kind: str) -> list[tuple[str, dict, dict]]:
    uid = {"uid": target.uid}
    data = {
        "address": "探测",
        "residence_division": "440106001",
        "name": "探测",
        "relationship": "20",
    }
    table: dict[str, list[tuple[str, dict, dict]]] = {
        "registry:households": [
            ("get", {}, {}),
            ("get", {}, {"q": target.ref}),
            ("get", {}, {"q": person.name}),
            ("get", {}, {"q": person.id_number}),
        ],
        "registry:households_export": [("get", {}, {}), ("get", {}, {"q": person.name})],
        "registry:persons": [
            ("get", {}, {}),
            ("get", {}, {"q": person.name}),
            ("post", {}, {"id_number": person.id_number}),
        ],
        "registry:persons_export": [("get", {}, {"q": person.name})],
        "registry:quality": [("get", {}, {})],
        "web:home": [("get", {}, {})],
        "divisions:tree": [("get", {}, {})],
        "api:household-list": [
            ("get", {}, {}),
            ("get", {}, {"q": target.ref}),
            ("get", {}, {"division": target.hukou_division.short_code}),
        ],
        "api:person-list": [("get", {}, {}), ("get", {}, {"q": person.name})],
        "api:person-search": [("post", {}, {"id_number": person.id_number})],
    }
    if route in table:
        return table[route]
    if route in NO_PERSONAL_DATA or route.startswith(ADMIN_PREFIX):
        return []
    if route.startswith("registry:household") or route == "registry:member_add":
        return [("get", uid, {}), ("post", uid, data)]
    if route.startswith("registry:person"):
        return [("get", {"uid": person.uid}, {}), ("post", {"uid": person.uid}, data)]
    if route == "api:household-detail":
        return [("get", uid, {}), ("patch", uid, {"address": "探测"})]
    if route == "api:person-detail":
        return [("get", {"uid": person.uid}, {})]
    if route in ("registry:import_status", "registry:import_errors"):
        return [("get", {"pk": kind}, {})]
    if route == "jobs:list":
        return [("get", {}, {})]
    if route in ("assistance:cases", "assistance:publicity", "assistance:rosters"):
        return [("get", {}, {})]
    if route == "assistance:case":
        return [("get", {"uid": FOREIGN["case"].uid}, {})]
    if route == "assistance:case_step":
        return [("post", {"uid": FOREIGN["case"].uid, "step": "accept"}, {})]
    if route == "assistance:case_new":
        return [("get", uid, {}), ("post", uid, {"programme": "dibao"})]
    if route in ("assistance:roster", "assistance:roster_download"):
        return [("get", {"pk": FOREIGN["roster"].pk}, {})]
    if route == "assistance:roster_bank":
        return [("post", {"pk": FOREIGN["roster"].pk}, {})]
    if route == "assistance:attachment":
        return [("get", {"uid": FOREIGN["case"].uid, "pk": FOREIGN["attachment"].pk}, {})]
    if route in ASSISTANCE_LISTS:
        return ASSISTANCE_LISTS[route](target, person)
    enrolment = {"uid": FOREIGN["enrolment"].uid}
    if route == "assistance:enrolment":
        return [("get", enrolment, {})]
    if route == "assistance:enrolment_step":
        return [
            ("post", {**enrolment, "step": "preview"},
             {"amount": "1", "effective": "2024-10", "reason": "探测"}),
            ("post", {**enrolment, "step": "suspend"}, {"reason": "探测"}),
            ("post", {**enrolment, "step": "review"}, {}),
        ]  # fmt: skip
    if route == "jobs:cancel":
        return [("post", {"pk": "job-of-county2"}, {})]
    if route in MONITORING:
        return MONITORING[route](target, FOREIGN["alert"])
    if route == "stats:people":  # the people behind figures of the other side's divisions
        township = target.hukou_division
        return [
            ("get", {}, {"indicator": code, "period": FOREIGN["snapshot"].period,
                         "division": division.prefix})
            for code in ("MN02", "SA02")
            for division in (township, township.parent)
        ]  # fmt: skip
    return []


# Warning pages: the other area's warning must be neither listed, shown nor worked on.
MONITORING: dict[str, Callable[[Any, Any], list[tuple[str, dict, dict]]]] = {
    "monitoring:inbox": lambda hh, a: [("get", {}, {}), ("get", {}, {"q": hh.ref}),
                                       ("get", {}, {"status": "all", "severity": "red"})],
    "monitoring:dashboard": lambda hh, a: [("get", {}, {})],
    "monitoring:download": lambda hh, a: [("get", {}, {})],
    "monitoring:bulk": lambda hh, a: [("post", {}, {"uid": str(a.uid), "reason": "探测"})],
    "monitoring:alert": lambda hh, a: [("get", {"uid": a.uid}, {})],
    "monitoring:alert_step": lambda hh, a: [
        ("post", {"uid": a.uid, "step": "verify"}, {"visit_result": "探测"})
    ],
    "monitoring:clerical": lambda hh, a: [("get", {}, {})],
    "monitoring:clerical_step": lambda hh, a: [
        ("post", {"pk": FOREIGN["pair"].pk}, {"same": "yes"})
    ],
    "monitoring:feeds": lambda hh, a: [("get", {}, {})],
    "monitoring:discoveries": lambda hh, a: [("get", {}, {}), ("get", {}, {"status": "open"})],
    "monitoring:discovery_step": lambda hh, a: [
        ("post", {"pk": FOREIGN["discovery"].pk}, {"decision": "dismissed", "note": "探测"})
    ],
    "monitoring:feed_batch": lambda hh, a: [("get", {"pk": FOREIGN["pair"].feed_record.batch_id}, {})],
}  # fmt: skip


def _foreign_pair(hh: Any, person: Any) -> Any:
    """A feed record of ``hh``'s area (imported by county 2) and its uncertain candidate."""
    from minzheng.monitoring.models import ClericalPair, FeedBatch, FeedRecord

    batch = FeedBatch.objects.create(kind="medical", file_name=f"{hh.ref}-医保.csv")
    township = hh.residence_division or hh.hukou_division
    rec = FeedRecord.objects.create(
        kind="medical", source_key=f"{hh.ref}-1", batch=batch, name=person.name,
        division_code=township.code, division=township, row_hash="x",
    )  # fmt: skip
    return ClericalPair.objects.create(feed_record=rec, person=person, match_probability=0.8)


def _foreign_discovery(hh: Any) -> Any:
    """Someone outside the registry found in ``hh``'s township (secret: the name)."""
    import datetime as dt

    from minzheng.monitoring.alerts import Discovery

    return Discovery.objects.create(
        rule="medical_burden", identity=f"{hh.ref}|外", name=f"{hh.ref}院外",
        division=hh.residence_division or hh.hukou_division, raised_on=dt.date(2024, 6, 30),
    )  # fmt: skip


def _foreign_alert(hh: Any) -> Any:
    """A red warning of ``hh``'s township (the pass would have raised it)."""
    import datetime as dt

    from minzheng.monitoring.alerts import Alert

    township = hh.residence_division or hh.hukou_division
    return Alert.objects.create(
        rule="house_destroyed", rule_version="1", rule_sha256="0" * 64, severity="red",
        subject="household", subject_id=hh.pk, household=hh, division=township,
        raised_on=dt.date(2024, 6, 28), due_on=dt.date(2024, 7, 3), amount_fen=100,
    )  # fmt: skip


# Assistance lists and forms without URL kwargs: what the prober asks of each.
ASSISTANCE_LISTS: dict[str, Callable[[Any, Any], list[tuple[str, dict, dict]]]] = {
    "assistance:enrolments": lambda hh, p: [
        ("get", {}, {}), ("get", {}, {"q": p.name}), ("get", {}, {"q": p.id_number}),
        ("get", {}, {"q": hh.ref}), ("get", {}, {"programme": "dibao", "state": "active"}),
    ],
    "assistance:enrolments_export": lambda hh, p: [("get", {}, {}), ("get", {}, {"q": hh.ref})],
    "assistance:reviews": lambda hh, p: [("get", {}, {}), ("get", {}, {"ahead": "30"})],
    "assistance:raise": lambda hh, p: [
        ("get", {}, {}),
        ("post", {}, {"programme": "dibao", "effective": "2024-10-01", "action": "preview"}),
    ],
    "assistance:prices": lambda hh, p: [
        ("get", {}, {}),
        ("post", {}, {"action": "roster", "county": hh.hukou_division.parent.pk,
                      "month": "2024-10"}),
    ],
}  # fmt: skip


def _foreign_case(world: World, who: str, hh: Any) -> Any:
    from minzheng.assistance.cases import case_apply

    return case_apply(actor=world.users[who], household=hh, programme="dibao")


def _foreign_roster(world: World, hh: Any, payee: Any) -> Any:
    """越秀区's October roster with one payee of the y1 household."""
    import datetime as dt

    from minzheng.assistance.models import Enrolment
    from minzheng.assistance.payments import roster_generate

    county = hh.hukou_division.parent
    FOREIGN["enrolment"] = Enrolment.objects.create(
        programme="dibao", household=hh, payee=payee, division=county, amount_fen=50000,
        valid_from=dt.date(2024, 1, 1), next_review=dt.date(2024, 6, 1),  # a review is due
        bank_account="6222000011112222333",
    )  # fmt: skip
    return roster_generate(actor=None, county=county, programme="dibao",
                           month=dt.date(2024, 10, 1)).roster  # fmt: skip


def _foreign_attachment(world: World, who: str, case: Any) -> Any:
    from minzheng.assistance.cases import case_attach

    return case_attach(actor=world.users[who], case=case, kind="application",
                       name=f"{case.household.ref}-申请书.pdf", content=b"%PDF-1.4")  # fmt: skip


def _snapshot() -> Any:
    """A statistics snapshot of the world (its figures' lists of people are probed)."""
    import datetime as dt

    from minzheng.stats.services import stats_snapshot

    return stats_snapshot("2024Q4", as_of=dt.date(2025, 1, 15))


def run_probes(world: World, client: Any) -> Probe:
    """county1 → county 2's household; town1 → sibling township's household (case
    attachments stored in a temporary directory for the run)."""
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="mz-isolation-")):
        return _run_probes(world, client)


def _run_probes(world: World, client: Any) -> Probe:
    Job.objects.get_or_create(
        id="job-of-county2",
        defaults={"task_path": "x", "actor": world.users["county2"], "label": "乙一.csv"},
    )
    foreign_batch = ImportBatch.objects.create(
        file_name="乙一.csv", actor=world.users["county2"], status="done", report={"errors": []}
    )
    y_hh, y_people = world.households["y1"], world.persons["y1"]
    t2_hh, t2_people = world.households["t2"], world.persons["t2"]
    pairs = [("county1", y_hh, y_people), ("town1", t2_hh, t2_people)]
    with rls.acting(EVERYTHING):  # the setup, not the probes: written as the owners would
        cases = {
            "county1": _foreign_case(world, "county2", y_hh),
            "town1": _foreign_case(world, "town2", t2_hh),
        }
        FOREIGN["roster"] = _foreign_roster(world, y_hh, y_people[0])
        papers = {
            "county1": _foreign_attachment(world, "county2", cases["county1"]),
            "town1": _foreign_attachment(world, "town2", cases["town1"]),
        }
        alerts = {"county1": _foreign_alert(y_hh), "town1": _foreign_alert(t2_hh)}
        found = {"county1": _foreign_discovery(y_hh), "town1": _foreign_discovery(t2_hh)}
        pairs_of = {"county1": _foreign_pair(y_hh, y_people[0]),
                    "town1": _foreign_pair(t2_hh, t2_people[0])}  # fmt: skip
        FOREIGN["snapshot"] = _snapshot()
    result = Probe(secrets=[])
    routes = list(walk())
    for who, hh, people in pairs:
        FOREIGN["case"], FOREIGN["attachment"] = cases[who], papers[who]
        FOREIGN["alert"], FOREIGN["pair"] = alerts[who], pairs_of[who]
        FOREIGN["discovery"] = found[who]
        result.secrets = [*secrets_of(hh, people), "乙一.csv", cases[who].ref, f"{hh.ref}院外"]
        user = world.users[who]
        for route, regex in routes:
            is_api = regex.startswith("api/v1/")
            c = api_client(user) if is_api else login(client, user)
            for method, kwargs, data in calls(route, hh, people[1], str(foreign_batch.pk)):
                url = reverse(route, kwargs=kwargs)
                send: Callable[..., Any] = getattr(c, method)
                resp = (
                    send(url, data, format="json")
                    if is_api and method != "get"
                    else send(url, data)
                )
                text = without_echo(body_text(resp), data)
                result.check(route, who, resp.status_code, f"{resp.status_code} {text}")
                # 405: a POST-only route refuses GET before it looks anything up.
                if kwargs and resp.status_code not in (404, 405):
                    result.leaks.append(
                        f"{route} as {who}: status {resp.status_code}, expected 404"
                    )
    from minzheng.monitoring.alerts import Alert

    with rls.acting(EVERYTHING):
        touched = Alert.objects.filter(pk__in=[a.pk for a in alerts.values()]).exclude(
            status="open"
        )
        result.leaks += [f"another area's warning was worked on: {a}" for a in touched]
        from minzheng.monitoring.models import ClericalPair

        decided = ClericalPair.objects.filter(pk__in=[p.pk for p in pairs_of.values()]).exclude(
            status="pending"
        )
        result.leaks += [f"another area's link was decided: {p.pk}" for p in decided]
        from minzheng.monitoring.alerts import Discovery

        closed = Discovery.objects.filter(pk__in=[d.pk for d in found.values()]).exclude(
            status="open"
        )
        result.leaks += [f"another area's discovery was decided: {d.pk}" for d in closed]
    return result


def positive_controls(world: World, client: Any) -> int:
    """The owners see what the probes must not: otherwise the probes prove nothing."""
    n = 0
    checks = [("county2", "y1"), ("town2", "t2"), ("county1", "moved"), ("county2", "moved")]
    for who, key in checks:
        hh, person = world.households[key], world.persons[key][0]
        login(client, world.users[who])
        for url, needle in [
            (reverse("registry:household", kwargs={"uid": hh.uid}), hh.ref),
            (reverse("registry:person", kwargs={"uid": person.uid}), person.id_number),
            (reverse("registry:households") + f"?q={hh.ref}", hh.ref),
        ]:
            resp = client.get(url)
            assert resp.status_code == 200 and needle in body_text(resp), (who, url)
            n += 1
        api = api_client(world.users[who])
        resp = api.get(reverse("api:household-detail", kwargs={"uid": hh.uid}))
        assert resp.status_code == 200 and hh.ref in body_text(resp), (who, "api")
        resp = api.post(
            reverse("api:person-search"), {"id_number": person.id_number}, format="json"
        )
        assert resp.status_code == 200 and str(person.uid) in body_text(resp), (who, "api search")
        n += 2
    # The y1 household's own county sees its enrolment, its review and its roster lines.
    login(client, world.users["county2"])
    payee = world.persons["y1"][0]
    for url in (
        reverse("assistance:enrolment", kwargs={"uid": FOREIGN["enrolment"].uid}),
        reverse("assistance:enrolments") + f"?q={payee.name}",
        reverse("assistance:reviews"),
        reverse("assistance:roster", kwargs={"pk": FOREIGN["roster"].pk}),
    ):
        resp = client.get(url)
        assert resp.status_code == 200 and payee.name in body_text(resp), ("county2", url)
        n += 1
    # … and the people behind its registry figures, on the list a dashboard count opens.
    county = world.households["y1"].hukou_division.parent
    url = reverse("stats:people") + (
        f"?indicator=MN02&period={FOREIGN['snapshot'].period}&division={county.prefix}&size=100"
    )
    resp = client.get(url)
    assert resp.status_code == 200 and payee.name in body_text(resp), ("county2", url)
    return n + 1


def test_no_route_leaks_across_jurisdictions(world, client, capsys):
    result = run_probes(world, client)
    controls = positive_controls(world, client)
    names = {name for name, _ in walk()}
    skipped = sorted(
        n
        for n in names - result.covered
        if n not in NO_PERSONAL_DATA and not n.startswith(ADMIN_PREFIX)
    )
    with capsys.disabled():
        print(
            f"\nisolation: {len(names)} routes, {len(result.covered)} probed, "
            f"{result.probes} probes, {controls} positive controls"
        )
    assert skipped == [], f"routes neither probed nor declared free of personal data: {skipped}"
    assert result.leaks == [], "\n".join(result.leaks)
    assert result.probes >= 40


def test_the_probe_catches_a_missing_scope(world, client, monkeypatch):
    """Disable the one scoping filter: the same probes must now report leaks."""
    monkeypatch.setattr(scope, "division_filter", lambda s, *fields: None)
    result = run_probes(world, client)
    assert len(result.leaks) >= 10
    assert any(re.search(r"registry:household as county1", leak) for leak in result.leaks)

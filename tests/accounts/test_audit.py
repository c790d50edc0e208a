"""The audit trail: complete for a scripted session, append-only, purged only past retention."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.accounts.models import AuditEvent
from minzheng.accounts.services import audit_purge
from minzheng.identity.resident_id import mask
from tests.conftest import make_user
from tests.world import login

FIELDS = ("actor_id", "action", "object_type", "object_id", "household_id", "source", "ip", "rows")


def test_scripted_session_produces_exactly_the_expected_rows(client, world):
    user = world.users["town1"]
    hh, person = world.households["t1"], world.persons["t1"][1]
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    login(client, user)
    client.get(reverse("registry:households"), {"q": "甲"})  # search
    client.get(reverse("registry:household", args=[hh.uid]))  # read household
    client.get(reverse("registry:person", args=[person.uid]))  # read person
    client.post(reverse("registry:persons"), {"id_number": person.id_number})  # search by ID
    client.post(
        reverse("registry:person_edit", args=[person.uid]),
        {"name": person.name, "phone": "13800000000"},
    )  # edit
    client.get(reverse("registry:households_export"), {"q": "甲"})  # export
    rows = list(AuditEvent.objects.filter(pk__gt=start).order_by("pk").values(*FIELDS, "changes"))
    expected = [
        ("search", "household", "", None, 1, {"q": "甲", "division": None, "needs_review": False}),
        ("read", "household", str(hh.pk), hh.pk, None, {}),
        ("read", "person", str(person.pk), hh.pk, None, {}),
        ("search", "person", "", None, 1, {"q": "", "id_number": mask(person.id_number)}),
        ("update", "person", str(person.pk), hh.pk, None, {"phone": ["", "13800000000"]}),
        (
            "export",
            "household",
            "",
            None,
            1,
            {"q": "甲", "division": None, "needs_review": False, "full_ids": False},
        ),
    ]
    got = [
        (r["action"], r["object_type"], r["object_id"], r["household_id"], r["rows"], r["changes"])
        for r in rows
    ]
    assert got == expected
    assert {(r["actor_id"], r["source"], r["ip"]) for r in rows} == {(user.pk, "web", "127.0.0.1")}
    assert all(person.id_number not in str(r) for r in rows)


def test_audit_viewer_is_for_the_audit_administrator_only(client, world):
    auditor = make_user("auditor", "", "auditadmin", is_staff=True)
    login(client, world.users["county1"])
    assert client.get(reverse("accounts:audit")).status_code == 403
    login(client, world.users["admin"])
    assert client.get(reverse("accounts:audit")).status_code == 403
    login(client, auditor)
    client.get(reverse("registry:households"))
    page = client.get(reverse("accounts:audit"), {"action": "create"})
    assert page.status_code == 200 and "person" in page.content.decode()
    export = client.get(reverse("accounts:audit_export"), {"action": "create"})
    ws = load_workbook(io.BytesIO(export.content)).active
    assert ws.max_row - 1 == AuditEvent.objects.filter(action="create").count()
    assert AuditEvent.objects.filter(action="export", object_type="audit", actor=auditor).exists()


def test_purge_keeps_six_months(db, actor):
    with pytest.raises(ValueError):
        audit_purge(older_than_days=30)
    old = timezone.now() - dt.timedelta(days=400)
    AuditEvent.objects.create(actor=actor, action="read", object_type="person")
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO accounts_auditevent (at, actor_id, action, object_type, object_id, "
            "changes, source, summary) VALUES (%s, %s, 'read', 'person', '', '{}', 'cli', '')",
            [old, actor.pk],
        )
    assert audit_purge(older_than_days=365) == 1
    assert AuditEvent.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgres_refuses_to_change_or_delete_recent_audit_rows(db, actor):
    ev = AuditEvent.objects.create(actor=actor, action="read", object_type="person")
    for statement in (
        lambda: AuditEvent.objects.filter(pk=ev.pk).update(action="x"),
        lambda: AuditEvent.objects.filter(pk=ev.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    assert AuditEvent.objects.filter(pk=ev.pk, action="read").exists()

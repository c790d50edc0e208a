"""A case's documents: uploaded on the case page, downloaded only by those who see the case."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minzheng.accounts.models import AuditEvent
from minzheng.assistance import cases as svc
from minzheng.assistance.models import Attachment
from minzheng.assistance.parameters import parameters_seed
from tests.world import login

PDF = b"%PDF-1.4 signed authorisation"


@pytest.fixture
def case(world):
    parameters_seed()
    return svc.case_apply(actor=world.users["town1"], household=world.households["t1"],
                          programme="dibao")  # fmt: skip


def test_upload_on_the_case_page_then_download(world, case, client):
    login(client, world.users["town1"])
    page = client.get(f"/assistance/cases/{case.uid}/").content.decode()
    assert 'name="file"' in page and "上传材料" in page  # already before acceptance
    upload = SimpleUploadedFile("授权书.pdf", PDF, content_type="application/pdf")
    client.post(f"/assistance/cases/{case.uid}/attach/", {"kind": "authorisation", "file": upload})
    att = Attachment.objects.get(case=case)
    url = f"/assistance/cases/{case.uid}/attachments/{att.pk}/"
    assert url in client.get(f"/assistance/cases/{case.uid}/").content.decode()
    login(client, world.users["county1"])  # the deciding county
    resp = client.get(url)
    assert resp.status_code == 200 and resp.content == PDF
    assert resp["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="read", object_type="attachment",
                                     object_id=str(att.pk), actor=world.users["county1"],
                                     household_id=case.household_id).exists()  # fmt: skip


def test_nobody_else_downloads_it(world, case, client):
    att = svc.case_attach(actor=world.users["town1"], case=case, kind="application",
                          name="申请书.pdf", content=PDF)  # fmt: skip
    other = svc.case_apply(actor=world.users["town2"], household=world.households["t2"],
                           programme="dibao")  # fmt: skip
    for who in ("county2", "town2"):
        login(client, world.users[who])
        assert client.get(f"/assistance/cases/{case.uid}/attachments/{att.pk}/").status_code == 404
    # The attachment asked for through a case the user does see, but not its own: 404.
    login(client, world.users["town2"])
    assert client.get(f"/assistance/cases/{other.uid}/attachments/{att.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(object_type="attachment").exists()

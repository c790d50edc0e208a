"""The calendar in the Django admin: filters by kind and year, search by name, edits seen at once."""

from __future__ import annotations

import datetime as dt

from minzheng.workdays import selectors
from minzheng.workdays.models import CalendarDay
from minzheng.workdays.selectors import is_working_day


def test_changelist_filters_and_search(admin_client, seeded):
    url = "/admin/workdays/calendarday/"
    page = admin_client.get(url, {"year": "2024", "kind__exact": "workday"})
    assert page.status_code == 200
    shown = {d.date for d in page.context["cl"].result_list}
    assert shown == set(
        CalendarDay.objects.filter(date__year=2024, kind="workday").values_list("date", flat=True)
    )
    assert dt.date(2024, 9, 29) in shown and len(shown) == 8
    found = admin_client.get(url, {"q": "国庆"})
    assert all("国庆" in d.name for d in found.context["cl"].result_list)
    assert admin_client.get("/admin/workdays/calendaryear/").status_code == 200


def test_admin_edits_are_checked_and_seen_at_once(admin_client, seeded, monkeypatch):
    monkeypatch.setattr(selectors, "STAMP_SECONDS", 1e9)  # only an invalidation can refresh
    assert is_working_day(dt.date(2024, 10, 12))
    monday = CalendarDay.objects.get(date=dt.date(2024, 10, 7))
    form = {"date": "2024-10-07", "kind": "workday", "name": "国庆节", "name_en": "", "source": "x"}
    resp = admin_client.post(f"/admin/workdays/calendarday/{monday.pk}/change/", form)
    assert resp.status_code == 200  # refused: 班 on a Monday
    assert "调休上班日应为周六或周日" in resp.content.decode()
    saturday = CalendarDay.objects.get(date=dt.date(2024, 10, 12))
    resp = admin_client.post(f"/admin/workdays/calendarday/{saturday.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not is_working_day(dt.date(2024, 10, 12))  # a plain Saturday again

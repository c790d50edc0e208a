"""The landing page: what this instance holds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minzheng.registry.selectors import registry_summary


def home(request: HttpRequest) -> HttpResponse:
    """Counts of divisions, households and persons, with links to the admin."""
    return render(request, "web/home.html", {"summary": registry_summary()})

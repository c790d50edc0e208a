"""The home page: a workbench of counters that link to filtered lists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from minzheng.accounts.scope import scope_of
from minzheng.registry.selectors import registry_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """工作台: counts inside the user's jurisdiction."""
    summary = registry_summary(request.user)
    summary["show_quality"] = scope_of(request.user).everything
    return render(request, "web/home.html", {"nav": "home", "summary": summary})

"""The division tree on the left of list pages (children loaded on demand with htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from minzheng.divisions.models import Division
from minzheng.registry.selectors import division_children


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """Children of ``?parent=`` (or the user's own division), each expandable."""
    parent_id = request.GET.get("parent")
    parent = get_object_or_404(Division, pk=parent_id) if parent_id else None
    nodes = division_children(request.user, parent)
    return render(
        request, "divisions/_tree.html", {"nodes": nodes, "target": request.GET.get("target", "")}
    )

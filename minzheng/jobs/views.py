"""任务中心: the user's own background jobs, with progress and a cancel button."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from minzheng.core.access import AuthedRequest, login_required_view
from minzheng.core.paging import paginate
from minzheng.jobs.models import Job
from minzheng.jobs.services import job_cancel


@login_required_view
def job_list(request: AuthedRequest) -> HttpResponse:
    """Jobs the user started, newest first (htmx refreshes the table while any runs)."""
    qs = Job.objects.filter(actor=request.user).order_by("-enqueued_at")
    ctx = {"nav": "jobs", **paginate(request, qs)}
    ctx["running"] = any(j.status in ("READY", "RUNNING") for j in ctx["page"].object_list)
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "jobs/_table.html" if partial else "jobs/list.html", ctx)


@require_POST
@login_required_view
def job_cancel_view(request: AuthedRequest, pk: str) -> HttpResponse:
    """Ask one of the user's jobs to stop."""
    job = get_object_or_404(Job, pk=pk, actor=request.user)
    job_cancel(actor=request.user, job=job)
    return redirect("jobs:list")

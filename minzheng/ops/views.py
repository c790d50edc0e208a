"""``/healthz`` for load balancers and ``/metrics`` for Prometheus."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from minzheng.ops import metrics
from minzheng.ops.checks import check_database, check_migrations


@transaction.non_atomic_requests  # ATOMIC_REQUESTS would connect first: a 500, not the 503
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and is migrated, else 503 (no details to the public)."""
    checks = [check_database()]
    if checks[0].ok:
        checks.append(check_migrations())
    ok = all(c.ok for c in checks)
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": {c.name: c.ok for c in checks}},
        status=200 if ok else 503,
    )


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "MINZHENG_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(token, given):
        return True
    from minzheng.accounts.middleware import client_ip

    return client_ip(request) in ("127.0.0.1", "::1")


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; loopback or the configured bearer token only."""
    if not _allowed(request):
        return HttpResponse(status=403)
    return HttpResponse(metrics.exposition(gauges()), content_type="text/plain; version=0.0.4")


def gauges() -> dict[str, float]:
    """Read from the database, so every gunicorn process reports the same values."""
    from minzheng.jobs.models import Job
    from minzheng.jobs.recovery import stale_jobs
    from minzheng.registry.models import ImportBatch

    return {
        "imports_running": float(
            ImportBatch.objects.filter(status__in=["queued", "running"]).count()
        ),
        "jobs_queued": float(Job.objects.filter(status="READY").count()),
        "jobs_running": float(Job.objects.filter(status="RUNNING").count()),
        "jobs_stale": float(stale_jobs().count()),
    }

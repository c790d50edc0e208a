"""Request ids and timing: one JSON log line per request, no personal data in it."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from minzheng.ops import metrics

log = logging.getLogger("minzheng.request")


class RequestLogMiddleware:
    """Tags each request with an id (``X-Request-ID``), times it, logs it and counts it.

    The log carries the URL *pattern name*, never the path or query string, so no ID
    number, name or search term reaches a log file.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        start = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else "") or "unmatched"
        metrics.observe(route, response.status_code, seconds)
        response["X-Request-ID"] = rid
        user = getattr(request, "user", None)
        log.info(
            "request",
            extra={
                "request_id": rid,
                "route": route,
                "method": request.method,
                "status": response.status_code,
                "ms": round(seconds * 1000, 1),
                "user_id": getattr(user, "pk", None),
            },
        )
        return response

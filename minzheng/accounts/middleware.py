"""Request context for the audit trail and row-level security, and the two-factor requirement."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from minzheng.accounts import rls
from minzheng.accounts.context import RequestContext, current
from minzheng.accounts.roles import TWO_FACTOR_ROLES


def client_ip(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or the proxy's X-Forwarded-For entry when the
    request came through a proxy listed in ``MINZHENG_TRUSTED_PROXIES``."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote in getattr(settings, "MINZHENG_TRUSTED_PROXIES", ()):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]  # the address our own proxy saw; earlier hops can be forged
    return remote


class RequestContextMiddleware:
    """Makes the client IP and channel (web or api) known to :func:`audit_record`, and
    on PostgreSQL runs the request in the user's row-level security scope (ADR 005)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        token = current.set(RequestContext(ip=client_ip(request), source=source))
        try:
            with rls.acting_for(request):
                return self.get_response(request)
        finally:
            current.reset(token)


def needs_second_factor(user: object) -> bool:
    """Whether ``user`` must present a TOTP code (MINZHENG_2FA: off / roles / all)."""
    mode = settings.MINZHENG_2FA
    if mode == "off" or not getattr(user, "is_authenticated", False):
        return False
    if mode == "all":
        return True
    roles: frozenset[str] = getattr(user, "roles", frozenset())
    return bool(roles & TWO_FACTOR_ROLES or getattr(user, "is_superuser", False))


class TwoFactorMiddleware:
    """Sends a signed-in user who must use two factors to the TOTP page until verified."""

    ALLOWED = ("/accounts/", "/i18n/", "/static/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            needs_second_factor(user)
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(self.ALLOWED)
        ):
            return redirect("accounts:otp")
        return self.get_response(request)

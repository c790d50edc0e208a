"""Who is acting and from where, for the audit trail, without threading it through calls."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    source: str = "web"  # web / api / cli


current: ContextVar[RequestContext | None] = ContextVar("minzheng_request", default=None)

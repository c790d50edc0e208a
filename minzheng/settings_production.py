"""Production settings: ``DJANGO_SETTINGS_MODULE=minzheng.settings_production``.

Everything in :mod:`minzheng.settings`, plus HTTPS behind a proxy, secure cookies,
HSTS and two factors for administrators and approvers. ``SECRET_KEY`` must be set.
"""

from __future__ import annotations

import os

from minzheng.settings import *  # noqa: F403

if not os.environ.get("SECRET_KEY"):
    raise RuntimeError("SECRET_KEY must be set in production (生产环境必须设置 SECRET_KEY)")
SECRET_KEY = os.environ["SECRET_KEY"]
# Rotation: the new key signs, the old ones (comma-separated) still verify sessions,
# password-reset links and signed values until they are removed (docs/operations.md §10).
SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("MINZHENG_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
# Stale-job recovery (minzheng.jobs.recovery): heartbeat interval, timeout, attempts.
MINZHENG_JOB_HEARTBEAT_SECONDS = float(os.environ.get("MINZHENG_JOB_HEARTBEAT_SECONDS", "10"))
MINZHENG_JOB_STALE_SECONDS = float(os.environ.get("MINZHENG_JOB_STALE_SECONDS", "60"))
MINZHENG_JOB_MAX_ATTEMPTS = int(os.environ.get("MINZHENG_JOB_MAX_ATTEMPTS", "3"))
DEBUG = False
MINZHENG_2FA = os.environ.get("MINZHENG_2FA", "roles")

# TLS terminates at the reverse proxy (nginx), which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("MINZHENG_SSL_REDIRECT", "1") == "1"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("MINZHENG_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# One JSON line per request (route name, status, latency, request id — no personal data).
LOGGING["loggers"]["minzheng.request"]["level"] = os.environ.get(  # type: ignore[index]  # noqa: F405
    "MINZHENG_REQUEST_LOG_LEVEL", "INFO"
)

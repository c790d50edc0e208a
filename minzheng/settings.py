"""Django settings, all taken from the environment.

``DATABASE_URL`` switches from the embedded SQLite file (see ``minzheng.paths``)
to PostgreSQL. ``MINZHENG_DEBUG=1`` is set by ``make demo``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url

from minzheng.paths import PACKAGE_DIR, data_dir, sqlite_path


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("MINZHENG_DEBUG")
# Development and demo only: production settings (settings_production) require SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or "minzheng-insecure-development-key-change-me"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "minzheng.core",
    "minzheng.divisions",
    "minzheng.accounts",
    "minzheng.registry",
    "minzheng.ops",
    "minzheng.jobs",
    "minzheng.engine",
    "minzheng.workdays",
    "minzheng.assistance",
    "minzheng.monitoring",
    "minzheng.stats",
    "django_tasks",
    "minzheng.web",
]

MIDDLEWARE = [
    "minzheng.ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "minzheng.accounts.middleware.RequestContextMiddleware",
    "minzheng.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "minzheng.urls"
WSGI_APPLICATION = "minzheng.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _from_url(url: str) -> dict:
    """``DATABASE_URL``; on PostgreSQL it is the app role (no ownership, no BYPASSRLS, ADR 005).

    Each request is one transaction (``ATOMIC_REQUESTS``): the row-level security scope is
    set per transaction. ``MIGRATE_DATABASE_URL`` (the owner role) runs ``migrate``;
    ``BATCH_DATABASE_URL`` (the read-only batch role) feeds the engine's snapshots.
    """
    # Health checks: a connection kept across a database restart is tested before reuse,
    # so the first request after the restart does not fail (fault campaign).
    dbs = {"default": dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)}
    if dbs["default"]["ENGINE"].endswith("postgresql"):
        dbs["default"]["ATOMIC_REQUESTS"] = True
        # The app's queries take milliseconds: PostgreSQL's JIT compiler costs ~100 ms on
        # the larger ones (the warning dashboard's 0.35 s query spent 0.12 s compiling) and
        # saves nothing. Batch statements over millions of rows may turn it back on.
        if os.environ.get("MINZHENG_PG_JIT", "off") == "off":
            options = dbs["default"].setdefault("OPTIONS", {})
            options["options"] = (options.get("options", "") + " -c jit=off").strip()
    for alias, env in (("owner", "MIGRATE_DATABASE_URL"), ("batch", "BATCH_DATABASE_URL")):
        if os.environ.get(env):
            dbs[alias] = dj_database_url.parse(os.environ[env])
            dbs[alias]["TEST"] = {"MIRROR": "default"}  # the same database under another role
    return dbs


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        return _from_url(url)
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets the web server, the worker and the CLI read while one writes;
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
                # busy timeout instead of failing with "database is locked" on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }


DATABASES = _databases()

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = data_dir() / "static"
# Front-end libraries installed from the npm registry by `make` (package-lock.json pins them).
# An installed package (the air-gapped bundle) names the directory in MINZHENG_NODE_MODULES.
NODE_MODULES = Path(os.environ.get("MINZHENG_NODE_MODULES") or PACKAGE_DIR.parent / "node_modules")
STATICFILES_DIRS = [
    (prefix, path)
    for prefix, path in [
        ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
        ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ]
    if path.exists()
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("MINZHENG_PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session expires this long after the last request (default 30 min).
SESSION_COOKIE_AGE = int(os.environ.get("MINZHENG_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # server-side: logout really ends it

# Lockout: 5 failed logins for one username within 15 minutes lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("MINZHENG_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MINZHENG_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# A township office reaches the server through one NAT address: locking by IP would lock
# every caseworker of the office out after one colleague's typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

# Two factors: "off", "roles" (administrators and approvers) or "all".
MINZHENG_2FA = os.environ.get("MINZHENG_2FA", "off" if DEBUG else "roles")
OTP_TOTP_ISSUER = "Minzheng 民政"

MINZHENG_TOKEN_HOURS = int(os.environ.get("MINZHENG_TOKEN_HOURS", "12"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "minzheng.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "minzheng.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Minzheng 民政 API",
    "DESCRIPTION": "Registry of low-income households and persons. Token: POST /api/v1/auth/token/",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "minzheng.core.api.allow_empty_query_values",
    ],
}

# One JSON object per line on stderr (MINZHENG_LOG_FORMAT=text for humans).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "minzheng.ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("MINZHENG_LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "minzheng.request": {"level": os.environ.get("MINZHENG_REQUEST_LOG_LEVEL", "WARNING")},
    },
}
# Background jobs: the django-tasks API, queued on huey (SQLite file; Redis with REDIS_URL).
TASKS = {"default": {"BACKEND": "minzheng.jobs.backend.HueyBackend"}}
MINZHENG_INLINE_JOBS = _env_bool("MINZHENG_INLINE_JOBS")

# Reverse proxies whose X-Forwarded-For is believed (audit IPs, /metrics access).
MINZHENG_TRUSTED_PROXIES = [
    p for p in os.environ.get("MINZHENG_TRUSTED_PROXIES", "").split(",") if p.strip()
]
MINZHENG_METRICS_TOKEN = os.environ.get("MINZHENG_METRICS_TOKEN", "")

# Case attachments (application forms, visit photos, signed authorisations); backed up
# beside the database by ``minzheng backup``.
MEDIA_ROOT = str(data_dir() / "media")
MEDIA_URL = "/media/"  # never served directly: attachments go through permission checks

# The account named in the audit trail when a CLI command runs without --as.
MINZHENG_SYSTEM_USER = "system-import"
# Background jobs: a running job's heartbeat, when it counts as lost, how often it is re-run.
MINZHENG_JOB_HEARTBEAT_SECONDS = float(os.environ.get("MINZHENG_JOB_HEARTBEAT_SECONDS", "10"))
MINZHENG_JOB_STALE_SECONDS = float(os.environ.get("MINZHENG_JOB_STALE_SECONDS", "60"))
MINZHENG_JOB_MAX_ATTEMPTS = int(os.environ.get("MINZHENG_JOB_MAX_ATTEMPTS", "3"))
# Public statistics: counts below this are withheld, with their complements (stats/suppress.py).
MINZHENG_SMALL_CELL = int(os.environ.get("MINZHENG_SMALL_CELL", "5"))
# A CJK font file for the PDF reports (default: the OS packages' fonts, see stats/report.py).
MINZHENG_CJK_FONT = os.environ.get("MINZHENG_CJK_FONT", "")

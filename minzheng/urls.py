"""URL configuration."""

from django.contrib import admin
from django.db import transaction
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from minzheng.ops import views as ops

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("minzheng.accounts.urls")),
    path("divisions/", include("minzheng.divisions.urls")),
    path("registry/", include("minzheng.registry.urls")),
    path("jobs/", include("minzheng.jobs.urls")),
    path("assistance/", include("minzheng.assistance.urls")),
    path("monitoring/", include("minzheng.monitoring.urls")),
    path("stats/", include("minzheng.stats.urls")),
    path("api/v1/", include("minzheng.api.urls")),
    # Documents, not data: no request transaction (ATOMIC_REQUESTS on PostgreSQL).
    path(
        "api/schema/",
        transaction.non_atomic_requests(SpectacularAPIView.as_view()),
        name="api-schema",
    ),
    path(
        "api/docs/",
        transaction.non_atomic_requests(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include("minzheng.web.urls")),
]

handler404 = "minzheng.core.api.not_found"

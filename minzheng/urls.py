"""URL configuration."""

from django.contrib import admin
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
    path("api/v1/", include("minzheng.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("minzheng.web.urls")),
]

handler404 = "minzheng.core.api.not_found"

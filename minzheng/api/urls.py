"""REST API v1: sign-in, the registry, assessment and statistics data values (mounted at ``/api/v1/``)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from minzheng.accounts.api import TokenView
from minzheng.assistance.api.views import AssessView
from minzheng.registry.api.views import HouseholdViewSet, PersonViewSet

router = SimpleRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("assess/", AssessView.as_view(), name="assess"),
    path("", include("minzheng.stats.api")),
    *router.urls,
]

"""Version 1 of the API: every endpoint lives under `/api/v1/`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import HealthApi, ReadinessApi
from .stats import StatsApi

app_name = "v1"

urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("health/ready/", ReadinessApi.as_view(), name="health-ready"),
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="v1:schema", permission_classes=[], authentication_classes=[]
        ),
        name="docs",
    ),
    path("", include("api.registry.urls")),
    path("", include("api.exchange.urls")),
    path("", include("api.audit.urls")),
    path("", include("api.watchlist.urls")),
    path("stats/", StatsApi.as_view(), name="stats"),
]

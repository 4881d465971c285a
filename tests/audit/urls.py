"""The project's URLs plus the audit API, for as long as `api/urls.py` does not include it yet."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("api/v1/", include("api.audit.urls"))]

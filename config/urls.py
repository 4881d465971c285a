from django.contrib import admin
from django.urls import include, path

from api.errors import json_error_view
from observability.views import metrics_view

not_found = json_error_view(404, "not_found", "Not found.")

urlpatterns = [
    # A password changes only through `POST /api/v1/auth/password/`, which audits it and ends the
    # person's other tokens; the admin's own form would do neither.
    path("admin/password_change/", not_found),
    path("admin/password_change/done/", not_found),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    # Web pages for people (Django templates and htmx), over the same services as the API.
    path("console/", include("console.urls")),
    # For the Prometheus scraper only: a bearer token, and 404 while none is configured.
    path("metrics", metrics_view(json_error_view), name="metrics"),
]

handler400 = json_error_view(400, "bad_request", "The request is not valid.")
handler403 = json_error_view(403, "permission_denied", "You may not do this.")
handler404 = not_found
handler500 = json_error_view(500, "server_error", "The server failed to handle this request.")

from django.contrib import admin
from django.urls import include, path

from api.errors import json_error_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]

handler400 = json_error_view(400, "bad_request", "The request is not valid.")
handler403 = json_error_view(403, "permission_denied", "You may not do this.")
handler404 = json_error_view(404, "not_found", "Not found.")
handler500 = json_error_view(500, "server_error", "The server failed to handle this request.")

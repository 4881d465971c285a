"""django-axes' answer to a locked-out sign-in, for the console and for everybody else.

Axes allows one `AXES_LOCKOUT_CALLABLE` for the whole site. A console sign-in gets the
sign-in page again, saying it is locked (429); any other path gets the API's JSON answer,
the callable named by `AFX_API_LOCKOUT_CALLABLE` (read by name: the console never imports
the API).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string

from .middleware import CONSOLE_PREFIX


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    if request.path_info.startswith(CONSOLE_PREFIX):
        return render(request, "console/sign_in.html", {"locked": True}, status=429)
    api_response: HttpResponse = import_string(settings.AFX_API_LOCKOUT_CALLABLE)(
        request, credentials, *args, **kwargs
    )
    return api_response

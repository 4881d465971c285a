"""The language switch: Django's `set_language` (POST, CSRF-checked; it sets the language
cookie `console.middleware` reads), open to everybody, signed in or not, since the sign-in
page is the first page a person reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    return set_language(request)

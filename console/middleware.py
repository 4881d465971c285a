"""The console's language: Chinese unless the person chose English with the language switch.

Not Django's `LocaleMiddleware` for the whole site: the API's messages are English and stable
(clients and tests read them), and a browser's `Accept-Language` must not change them. So the
language is chosen only for the console's paths, from the cookie Django's `set_language` view
sets (`console:language`), else the console's default, zh-hans, whatever the browser asks;
and it is put back after the response, since an activated language stays on the thread.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

CONSOLE_PREFIX = "/console/"
DEFAULT_LANGUAGE = "zh-hans"


def console_language(request: HttpRequest) -> str:
    """The language the person chose (the cookie), if the console has it; else zh-hans."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    offered = {code for code, _ in settings.LANGUAGES}
    return chosen if chosen in offered else DEFAULT_LANGUAGE


class ConsoleLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(CONSOLE_PREFIX):
            return self.get_response(request)
        language = console_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response

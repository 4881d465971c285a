"""Deny by default: every console page names the roles it admits, as the API's views do.

`ConsoleView` is the base of every page but the sign-in's. In order: nobody signed in (an
anonymous visitor; adapters never hold a session) is sent to the sign-in page; a person with
a confirmed second factor whose session has not passed it is sent there too; a person who
must enrol one (`AFX_CONSOLE_REQUIRE_TOTP`) is sent to the enrolment page; a role the page
does not name, a deactivated person or a person of a suspended partner gets 403, recorded as
a denied request. What a page's service or selector refuses is rendered from the domain
error: `NotFound` (out of scope is missing, audited by the access layer) 404, `Forbidden` 403.
Every answer is `Cache-Control: no-store`: the pages show case data.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View
from django_otp import user_has_device

from audit.denials import denial_record
from core.actors import acting_role
from core.errors import DomainError, Forbidden, NotFound
from core.roles import Role
from partners.models import Person

POLICE = frozenset({Role.OFFICER, Role.SUPERVISOR})
CASE_READERS = POLICE | {Role.AUDITOR}
EVERY_PERSON = frozenset(Role) - {Role.ADAPTER}


# Each role's first page (after signing in, and the header's home link): the dashboard is the
# police's; an answering partner's operator starts at its queue, auditors and administrators
# at what they read.
LANDING: dict[str, str] = {
    Role.OFFICER: "console:dashboard",
    Role.SUPERVISOR: "console:dashboard",
    Role.AUDITOR: "console:cases",
    Role.ADMINISTRATOR: "console:audit-events",
    Role.OPERATOR: "console:operator-queries",
}


def landing_url(person: Person) -> str:
    return reverse(LANDING.get(str(acting_role(person)), "console:totp-enrol"))


def signed_in_person(request: HttpRequest) -> Person | None:
    """The person of the session, or None (anonymous: adapters sign requests, they have no session)."""
    user = getattr(request, "user", None)
    return user if isinstance(user, Person) and user.is_authenticated else None


def second_factor_passed(request: HttpRequest, *, enrolled: bool) -> bool:
    """A person with a confirmed device (`enrolled`) has entered its code in this session."""
    return not enrolled or bool(request.user.is_verified())  # type: ignore[union-attr]


def sign_in_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('console:sign-in')}?{urlencode({'next': request.path})}")


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    response = render(request, "console/error.html", {"status": status}, status=status)
    add_never_cache_headers(response)
    return response


class ConsoleView(View):
    """A console page open to `allowed_roles` only; each subclass names them (none: nobody)."""

    allowed_roles: Collection[str] = frozenset()
    # The enrolment page itself is open to a person who has not enrolled yet.
    needs_enrolled_factor = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase | None = self._refusal(request)
        if response is None:
            try:
                response = super().dispatch(request, *args, **kwargs)
            except NotFound:
                response = error_page(request, 404)
            except Forbidden as refused:
                if not refused.audited:
                    denial_record(details={"status": 403, "code": refused.code})
                response = error_page(request, 403)
            except DomainError as refused:  # a page that expects one catches it; this is the rest
                response = error_page(request, 409 if refused.code != "invalid" else 400)
        assert response is not None
        add_never_cache_headers(response)
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        person = signed_in_person(request)
        if person is None:
            denial_record(actor=None, details={"status": 302, "code": "unauthenticated"})
            return sign_in_redirect(request)
        enrolled = user_has_device(person)  # a query per device kind: asked once a request
        if not second_factor_passed(request, enrolled=enrolled):
            return sign_in_redirect(request)
        if self.needs_enrolled_factor and settings.AFX_CONSOLE_REQUIRE_TOTP and not enrolled:
            return HttpResponseRedirect(reverse("console:totp-enrol"))
        if acting_role(person) not in self.allowed_roles:
            denial_record(details={"status": 403, "code": Forbidden.code, "reason": "role"})
            return error_page(request, 403)
        return None

    @property
    def person(self) -> Person:
        """The signed-in person; `dispatch` lets nobody else reach a handler."""
        person = signed_in_person(self.request)
        assert person is not None
        return person

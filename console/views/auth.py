"""Signing in to the console: the password through `authenticate` (so django-axes counts and
locks out exactly as for the API's tokens, and `partners.signals` records each failure),
then, for a person with a confirmed TOTP device, its code; then Django's session `login`
(recorded as a sign-in by `partners.signals`). Signing out ends this session; signing out
everywhere ends every session and every API token of the person. Nothing recorded names
what was typed.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.throttling import SimpleRateThrottle

from audit.choices import Outcome
from audit.denials import denial_record
from audit.services import event_record
from partners.models import Person

from ..access import EVERY_PERSON, ConsoleView, landing_url
from ..audit_actions import ConsoleAction
from ..forms import CodeForm, SignInForm
from ..sessions import sessions_end

# Between the password and the code: who passed the password, since when, and which hash.
PENDING_KEY = "console_pending_second_factor"
PENDING_SECONDS = 300
_PENDING_PURPOSE = "afx.console.sign_in.pending"


def _wanted(request: HttpRequest) -> str:
    """The console page asked for before signing in (`next`), if it is one; else ""."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/console/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _next_url(request: HttpRequest, person: Person) -> str:
    """Where a sign-in goes: the page asked for, else the first page of the person's role."""
    return _wanted(request) or landing_url(person)


class SignInThrottle(SimpleRateThrottle):
    """Sign-in attempts per address: the API's `sign_in` budget, shared with it (same cache key)."""

    scope = "sign_in"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, {"next": _wanted(request), **context}, status=status)
    add_never_cache_headers(response)
    return response


def _hash_digest(person: Person) -> str:
    """A keyed digest of the person's password hash, kept in the session between the two
    steps (never the hash itself): a password changed in between ends the sign-in."""
    return salted_hmac(_PENDING_PURPOSE, person.password, algorithm="sha256").hexdigest()


def _refusal_reason(person: Person) -> str | None:
    if not person.partner.is_active:
        return "partner_suspended"
    return None


class SignInView(View):
    """`GET` the form; `POST` the username and password (CSRF-checked, like every console form)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _page(request, "console/sign_in.html", {"form": SignInForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not SignInThrottle().allow_request(request, self):  # type: ignore[arg-type]
            denial_record(actor=None, details={"status": 429, "code": "throttled"})
            return _page(request, "console/sign_in.html", {"form": SignInForm(), "locked": True}, status=429)
        form = SignInForm(request.POST)
        if not form.is_valid():
            return _page(request, "console/sign_in.html", {"form": form}, status=400)
        person = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return _page(request, "console/sign_in.html", {"form": SignInForm(), "locked": True}, status=429)
        if not isinstance(person, Person):
            return _page(request, "console/sign_in.html", {"form": SignInForm(), "wrong": True}, status=401)
        reason = _refusal_reason(person)
        if reason is not None:
            with transaction.atomic():
                event_record(
                    actor=person,
                    action=ConsoleAction.SIGN_IN_REFUSED,
                    outcome=Outcome.DENIED,
                    target=person,
                    details={"reason": reason},
                )
            return _page(
                request, "console/sign_in.html", {"form": SignInForm(), "suspended": True}, status=403
            )
        if user_has_device(person):
            request.session[PENDING_KEY] = {
                "person": person.pk,
                "at": time.time(),
                "hash": _hash_digest(person),
            }
            code_page = reverse("console:sign-in-code")
            return HttpResponseRedirect(f"{code_page}?{urlencode({'next': _next_url(request, person)})}")
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect(_next_url(request, person))


def _pending_person(request: HttpRequest) -> Person | None:
    """The person who passed the password in this session, a few minutes ago at most, whose
    password has not changed since."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    person = Person.objects.select_related("partner").filter(pk=pending.get("person"), is_active=True).first()
    if person is None or _refusal_reason(person):
        return None
    if not constant_time_compare(_hash_digest(person), str(pending.get("hash", ""))):
        return None
    return person


class SignInCodeView(View):
    """The second step: the code of the person's confirmed TOTP device. django-otp throttles
    wrong codes per device (each wait doubling); each wrong code is recorded."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if _pending_person(request) is None:
            return HttpResponseRedirect(reverse("console:sign-in"))
        return _page(request, "console/sign_in_code.html", {"form": CodeForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        person = _pending_person(request)
        if person is None:
            return HttpResponseRedirect(reverse("console:sign-in"))
        form = CodeForm(request.POST)
        device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
        if form.is_valid() and device is not None:
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(form.cleaned_data["code"]):
                del request.session[PENDING_KEY]
                login(request, person, backend="django.contrib.auth.backends.ModelBackend")
                otp_login(request, device)
                return HttpResponseRedirect(_next_url(request, person))
        with transaction.atomic():
            event_record(
                actor=None, action=ConsoleAction.SECOND_FACTOR_FAILED, outcome=Outcome.DENIED, target=person
            )
        return _page(request, "console/sign_in_code.html", {"form": CodeForm(), "wrong": True}, status=401)


class SignOutView(ConsoleView):
    """`POST` ends this session (a link could be followed by any page: a form, with CSRF)."""

    allowed_roles = EVERY_PERSON
    needs_enrolled_factor = False

    def post(self, request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            event_record(actor=self.person, action=ConsoleAction.SIGNED_OUT, target=self.person)
        logout(request)
        return HttpResponseRedirect(reverse("console:sign-in"))


class SignOutEverywhereView(ConsoleView):
    """`POST` ends every session of the person (this one too) and every API token of theirs."""

    allowed_roles = EVERY_PERSON
    needs_enrolled_factor = False

    def post(self, request: HttpRequest) -> HttpResponse:
        ended = sessions_end(person=self.person)
        logout(request)
        return HttpResponseRedirect(f"{reverse('console:sign-in')}?ended={ended}")

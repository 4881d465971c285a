"""Enrolling the console's second factor: a TOTP device (django-otp), confirmed by a code.

The page shows the secret (base32) and its `otpauth://` URI for an authenticator app; the
device counts only once the person has typed a code it made (`confirmed`), so a secret that
was shown and never entered locks nobody out. A person enrols once: a confirmed device is
never replaced here (a lost one is the administrators' to remove, in the admin).
"""

from __future__ import annotations

from base64 import b32encode

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.choices import Outcome
from audit.services import event_record

from ..access import EVERY_PERSON, ConsoleView
from ..audit_actions import ConsoleAction
from ..forms import CodeForm

DEVICE_NAME = "console"


class TotpEnrolView(ConsoleView):
    allowed_roles = EVERY_PERSON
    needs_enrolled_factor = False

    def _device(self) -> TOTPDevice | None:
        """The person's device waiting for its first code, made on the first visit."""
        if TOTPDevice.objects.filter(user=self.person, confirmed=True).exists():
            return None
        device = TOTPDevice.objects.filter(user=self.person, confirmed=False).first()
        return device or TOTPDevice.objects.create(user=self.person, name=DEVICE_NAME, confirmed=False)

    def _page(
        self, request: HttpRequest, form: CodeForm, status: int = 200, wrong: bool = False
    ) -> HttpResponse:
        device = self._device()
        context = {"form": form, "enrolled": device is None, "wrong": wrong}
        if device is not None:
            context |= {"secret": b32encode(device.bin_key).decode(), "uri": device.config_url}
        return render(request, "console/totp_enrol.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        device = self._device()
        if device is None:
            return HttpResponseRedirect(reverse("console:dashboard"))
        form = CodeForm(request.POST)
        if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=self.person, confirmed=False).delete()
                event_record(
                    actor=self.person, action=ConsoleAction.SECOND_FACTOR_ENROLLED, target=self.person
                )
            otp_login(request, device)
            return HttpResponseRedirect(reverse("console:dashboard"))
        with transaction.atomic():
            event_record(
                actor=self.person,
                action=ConsoleAction.SECOND_FACTOR_FAILED,
                outcome=Outcome.DENIED,
                target=self.person,
                details={"step": "enrol"},
            )
        return self._page(request, CodeForm(), status=400, wrong=True)

"""Enrolling the console's second factor: a TOTP device (django-otp), confirmed by a code.

The page shows the secret (base32), its `otpauth://` URI and that URI as a QR code for an
authenticator app to scan. The QR code is drawn here, as inline SVG (`qrcode`'s path image,
no image library, no request to anyone else: the secret never leaves the page, which is
never stored by a cache, like every console page), and none of them is ever logged. The
device counts only once the person has typed a code it made (`confirmed`), so a secret that
was shown and never entered locks nobody out. A person enrols once: a confirmed device is
never replaced here (a lost one is the administrators' to remove, in the admin).
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from audit.choices import Outcome
from audit.services import event_record

from ..access import EVERY_PERSON, ConsoleView
from ..audit_actions import ConsoleAction
from ..forms import CodeForm

DEVICE_NAME = "console"


def qr_svg(uri: str) -> SafeString:
    """`uri` as a QR code, an `<svg>` element of one path (error correction M, the usual
    4-module quiet zone). Safe to put in the page as it is: the library writes the markup,
    and the URI is in it only as black and white squares."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(uri)
    code.make(fit=True)
    svg = code.make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
    return mark_safe(svg)  # noqa: S308 - the library's markup, no text of ours in it


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
            uri = device.config_url
            context |= {"secret": b32encode(device.bin_key).decode(), "uri": uri, "qr": qr_svg(uri)}
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

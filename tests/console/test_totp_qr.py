"""The enrolment page's QR code: inline SVG of exactly the device's `otpauth://` URI, whose
key makes the codes that confirm the device; the key is in no log line; the page is never
cached; an enrolled person is shown no key and no QR code.

The SVG is read back module by module (one square per dark module, in the path) and
compared with the QR symbol of the URI the device holds, which is how a phone's reader
would find the URI in it, short of an image decoder this project does not carry.
"""

from __future__ import annotations

import logging
import re
from base64 import b32decode
from urllib.parse import parse_qs, quote, urlsplit
from xml.etree import ElementTree

import pytest
import qrcode
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.console.conftest import sign_in, with_password

SVG = "{http://www.w3.org/2000/svg}"
MODULE = re.compile(r"M(\d+),(\d+)H")


@pytest.fixture
def officer(world):
    return with_password(world.officer_a)


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """The top-left corner of each square of the SVG's one path: its dark modules."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own page's markup
    assert root.tag == f"{SVG}svg"
    (path,) = root.iter(f"{SVG}path")
    return {(int(x), int(y)) for x, y in MODULE.findall(path.attrib["d"])}


def symbol_of(uri: str) -> set[tuple[int, int]]:
    """The dark modules of `uri`'s QR symbol, with its 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(uri)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


def test_the_qr_code_is_the_devices_uri_and_its_key_confirms_the_device(
    officer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    sign_in(officer, client)
    page = client.get("/console/second-factor/")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.content.decode()
    found = re.search(r'data-testid="totp-qr">(<svg.*?</svg>)', html, re.DOTALL)
    assert found is not None, "no inline SVG QR code on the page"

    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    uri = device.config_url
    assert dark_modules(found.group(1)) == symbol_of(uri)
    # A different URI (another key) draws another symbol: the comparison can fail.
    assert dark_modules(found.group(1)) != symbol_of(uri.replace("secret=", "secret=A"))

    # What the phone reads: the key, as base32, in the URI; its code confirms the device.
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    secret = parse_qs(parts.query)["secret"][0]
    key = b32decode(secret + "=" * (-len(secret) % 8))
    assert key == device.bin_key
    confirmed = client.post("/console/second-factor/", {"code": f"{totp(key):06d}"})
    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    # Neither the key nor the URI is in any line logged or printed while this ran.
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was captured: the check would pass blindly"
    for text in (logged, out, err):
        for value in (secret, uri, quote(uri, safe=""), device.key):
            assert value not in text


def test_an_enrolled_person_is_shown_no_key_and_no_qr_code(officer) -> None:
    client = Client()
    sign_in(officer, client)
    client.get("/console/second-factor/")
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    client.post("/console/second-factor/", {"code": f"{totp(device.bin_key):06d}"})

    page = client.get("/console/second-factor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="enrolled"' in html
    assert "<svg" not in html
    assert "otpauth://" not in html
    assert device.key not in html

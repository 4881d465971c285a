"""What django-axes keeps of a sign-in attempt: a keyed digest of the username typed, never the text.

People type other things into a username box (phone numbers among them), and axes stores
whatever it gets in its tables and shows it in its admin. `AXES_USERNAME_CALLABLE` names
`attempted_username_digest`, so axes counts, locks and shows an HMAC-SHA256 instead. Equal
attempts give equal digests, so the lockout per username and address works as before.

The key is Django's `SECRET_KEY` (through `salted_hmac`, with a purpose of its own), not the
privacy keyring: a digest must be keyed, or a list of every phone number would match it, but
lockout records live only for `AXES_COOLOFF_TIME`, so rotating `SECRET_KEY` costs nothing more
than counters that expire soon anyway, and a sign-in needs no data key from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

_PURPOSE = "afx.partners.sign_in.attempted_username"


def attempted_username_digest(
    request: HttpRequest | None, credentials: Mapping[str, Any] | None
) -> str | None:
    """Axes' `AXES_USERNAME_CALLABLE`: where axes would read the username (the credentials,
    else the POSTed form), the digest of it; None when there is none, as axes has it."""
    if credentials:
        username = credentials.get("username")
    else:
        username = request.POST.get("username") if request is not None else None
    return None if username is None else salted_hmac(_PURPOSE, str(username), algorithm="sha256").hexdigest()

"""Password checks, from the admin's session login, the token endpoint and the current
password of a password change alike.

Django's auth signals are the one place all of them pass through (`authenticate` sends
`user_login_failed`; the session `login` sends `user_logged_in`), so they are recorded here.
The attempted username itself is never recorded: people sometimes type other things, phone
numbers included, into a username box. A failure against a real person names that person as
target, on purpose: guesses at one account are what an auditor must be able to find. These
rows are bounded by what bounds the guesses (the `sign_in` and `password_change` throttles,
and django-axes locking a username and address after `AXES_FAILURE_LIMIT`), not by the
anonymous denial budget: a budget would hide exactly the guessing it is meant to show.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.choices import Outcome
from audit.services import event_record
from partners.audit_actions import PartnerAction

from .models import Person


@receiver(user_logged_in, dispatch_uid="afx_audit_sign_in")
def record_sign_in(sender: Any, request: Any, user: Person, **kwargs: Any) -> None:
    event_record(actor=user, action=PartnerAction.SIGN_IN, details={"method": "session"})


@receiver(user_login_failed, dispatch_uid="afx_audit_sign_in_failed")
def record_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    person = Person.objects.filter(username=credentials.get("username", "")).first()
    locked = bool(getattr(request, "axes_locked_out", False))
    event_record(
        actor=None,
        action=PartnerAction.SIGN_IN_LOCKED if locked else PartnerAction.SIGN_IN_FAILED,
        outcome=Outcome.DENIED,
        target=person,
        details={"username_known": person is not None},
    )

"""Ending sign-in tokens, each one recorded: by signing out, a revocation, a password change,
an enrolment started over, a deactivation, or to make room under the limit per person."""

from __future__ import annotations

from django.db.models import QuerySet
from knox.models import AuthToken

from audit.services import event_record
from core.actors import Actor

from .audit_actions import PartnerAction


def token_end(*, actor: Actor | None, token: AuthToken, reason: str = "") -> None:
    """Delete `token` and record it, the holder as target (the token's key, never the token)."""
    holder, token_key = token.user, token.token_key
    token.delete()
    event_record(
        actor=actor,
        action=PartnerAction.TOKEN_REVOKED,
        target=holder,
        details={"token_key": token_key, "reason": reason} if reason else {"token_key": token_key},
    )


def tokens_end(*, actor: Actor | None, tokens: QuerySet[AuthToken], reason: str) -> None:
    """End each of `tokens`, one `token_revoked` event apiece (as `token_issue` records each)."""
    for token in tokens.select_related("user").order_by("created"):
        token_end(actor=actor, token=token, reason=reason)

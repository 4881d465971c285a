"""Freeze release: lifts a freeze of the case in force on the account, approved by a supervisor;
refused before it leaves when no such freeze is in force."""

from __future__ import annotations

from datetime import timedelta

from exchange.kinds.base import KindSpec, PersonalValue
from partners.choices import PartnerKind
from privacy.choices import Kind

from .audit_actions import TRAITS, FreezeReleaseAction
from .schemas import FreezeReleaseAnswer, FreezeReleaseInput


class FreezeRelease(KindSpec):
    name = "freeze_release"
    label = "Release a freeze"
    answered_by = frozenset({PartnerKind.BANK.value})
    input_schema = FreezeReleaseInput
    answer_schema = FreezeReleaseAnswer
    subject = PersonalValue("account_number", Kind.ACCOUNT, revealed_as="account_number")
    answer_values = ()
    actions = FreezeReleaseAction
    traits = TRAITS
    submitted_action = FreezeReleaseAction.FREEZE_RELEASE_REQUESTED
    default_deadline = timedelta(hours=24)
    needs_approval = True
    signed_by_unit = True


SPEC = FreezeRelease()

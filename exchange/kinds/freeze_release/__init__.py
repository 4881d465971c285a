"""Freeze release: lifts a freeze of the case in force on the account, approved by a supervisor;
refused before it leaves when no such freeze is in force."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from exchange import holds
from exchange.kinds.instruction import BankInstruction

from .audit_actions import TRAITS, FreezeReleaseAction
from .schemas import FreezeReleaseAnswer, FreezeReleaseInput, ReleaseOutcome

if TYPE_CHECKING:
    from exchange.models import Query


class FreezeRelease(BankInstruction):
    name = "freeze_release"
    label = "Release a freeze"
    input_schema = FreezeReleaseInput
    answer_schema = FreezeReleaseAnswer
    actions = FreezeReleaseAction
    traits = TRAITS
    submitted_action = FreezeReleaseAction.FREEZE_RELEASE_REQUESTED
    default_deadline = timedelta(hours=24)
    needs_approval = True

    def refusal(self, query: Query) -> str | None:
        """Nothing to release without a freeze of the case in force on the account."""
        return holds.freeze_refusal(query)

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """A release ends the freeze at the bank's release time."""
        if answer["outcome"] == ReleaseOutcome.RELEASED:
            holds.freeze_release(query, at=answer["released_at"])


SPEC = FreezeRelease()

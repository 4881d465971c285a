"""Freeze renewal: another period for a freeze of the case in force on the account, approved by a
supervisor; refused before it leaves when no such freeze is in force."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from exchange import holds
from exchange.kinds.instruction import BankInstruction

from .audit_actions import TRAITS, FreezeRenewAction
from .schemas import FreezeRenewAnswer, FreezeRenewInput, RenewOutcome

if TYPE_CHECKING:
    from exchange.models import Query


class FreezeRenew(BankInstruction):
    name = "freeze_renew"
    label = "Renew a freeze for another period"
    input_schema = FreezeRenewInput
    answer_schema = FreezeRenewAnswer
    actions = FreezeRenewAction
    traits = TRAITS
    submitted_action = FreezeRenewAction.FREEZE_RENEWAL_REQUESTED
    default_deadline = timedelta(hours=24)
    needs_approval = True

    def refusal(self, query: Query) -> str | None:
        """Nothing to renew without a freeze of the case in force on the account."""
        return holds.freeze_refusal(query)

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """A renewal lengthens the freeze by its decision's period."""
        if answer["outcome"] == RenewOutcome.RENEWED:
            holds.freeze_renew(query, days=int(query.params["period_days"]))


SPEC = FreezeRenew()

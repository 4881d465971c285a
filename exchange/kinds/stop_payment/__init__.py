"""Emergency stop-payment: a bank stops payment out of an account for 48 hours, at once.

The unit sends the account, the holder's name, and the amount and time of the transaction
the money arrived with, signed with the unit's key; the bank checks all four against its
records and stops at once if they match (answering the amount held and the moment), or
says which did not match, or refuses with a reason. The 48 hours and the limit of two
stops per account and case are the gateway's to keep (`exchange.holds`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from exchange import holds
from exchange.choices import HoldKind
from exchange.kinds.base import PersonalValue
from exchange.kinds.instruction import BankInstruction
from privacy.choices import Kind

from .audit_actions import TRAITS, StopPaymentAction
from .schemas import StopOutcome, StopPaymentAnswer, StopPaymentInput

if TYPE_CHECKING:
    from exchange.models import Query
    from partners.models import Partner


class StopPayment(BankInstruction):
    name = "stop_payment"
    label = "Emergency stop-payment (48 hours)"
    input_schema = StopPaymentInput
    answer_schema = StopPaymentAnswer
    input_values = (PersonalValue("holder_name", Kind.NAME, revealed_as="holder_name"),)
    actions = StopPaymentAction
    traits = TRAITS
    submitted_action = StopPaymentAction.STOP_PAYMENT_REQUESTED
    default_deadline = timedelta(seconds=60)

    def needs_approval_for(self, unit: Partner) -> bool:
        """Out at once unless the unit's emergency policy asks for a supervisor first."""
        return unit.stop_payment_needs_approval

    def refusal(self, query: Query) -> str | None:
        """A third stop of one account in one case never leaves (`stop_limit_reached`)."""
        return holds.stop_refusal(query)

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """A stop the bank made holds the amount for 48 hours from the bank's own stop time."""
        if answer["outcome"] == StopOutcome.STOPPED:
            holds.hold_start(
                query,
                kind=HoldKind.STOP_PAYMENT,
                amount=answer["amount_held"],
                started_at=answer["stopped_at"],
                term=holds.STOP_TERM,
            )


SPEC = StopPayment()

"""Freeze: the formal follow-up of a stop-payment, under a freeze decision, for up to six months.

A supervisor of the unit approves it (never the officer who asked); the bank answers frozen,
partially frozen (less than asked was there) or refused. A freeze replaces the stop-payments
of its account in its case, runs for its decision's period and is renewed (`freeze_renew`)
or lifted (`freeze_release`); the gateway keeps its term (`exchange.holds`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from exchange import holds
from exchange.choices import HoldKind
from exchange.kinds.base import PersonalValue
from exchange.kinds.instruction import BankInstruction
from privacy.choices import Kind

from .audit_actions import TRAITS, FreezeAction
from .schemas import FreezeAnswer, FreezeInput, FreezeOutcome

if TYPE_CHECKING:
    from exchange.models import Query


class Freeze(BankInstruction):
    name = "freeze"
    label = "Freeze by decision (six months, renewable)"
    input_schema = FreezeInput
    answer_schema = FreezeAnswer
    input_values = (PersonalValue("holder_name", Kind.NAME, revealed_as="holder_name"),)
    actions = FreezeAction
    traits = TRAITS
    submitted_action = FreezeAction.FREEZE_REQUESTED
    # Counted from the supervisor's approval: a day to approve, then an hour for the bank.
    default_deadline = timedelta(hours=24)
    needs_approval = True

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """A freeze holds the amount frozen for the decision's period from the bank's freeze
        time, and replaces the stop-payments of its account in its case."""
        if answer["outcome"] == FreezeOutcome.REFUSED:
            return
        freeze = holds.hold_start(
            query,
            kind=HoldKind.FREEZE,
            amount=answer["amount_frozen"],
            started_at=answer["frozen_at"],
            term=timedelta(days=int(query.params["period_days"])),
            partial=answer["outcome"] == FreezeOutcome.PARTIALLY_FROZEN,
        )
        holds.stops_replace(freeze)


SPEC = Freeze()

"""Account transfers: a bank says who holds an account, what is left on it and where its money went.

The step of a trace: the account asked about (the subject) is one the money reached; the
bank answers the holder (name and ID number, personal), the balance, and every transfer out
in the window, each to an account (found, so it is searchable and the next tier's subject)
or withdrawn in cash. An answer of a trace's query sets off the trace's next tier
(`exchange.traces.engine`); this package, loaded with the kinds, also registers the traces'
own audit actions, since traces exist only through its answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from exchange.kinds.base import KindSpec, PersonalValue
from partners.choices import PartnerKind
from privacy.choices import Kind

from .audit_actions import TRAITS, AccountTransfersAction
from .schemas import AccountTransfersAnswer, AccountTransfersInput

if TYPE_CHECKING:
    from exchange.models import Query


class AccountTransfers(KindSpec):
    name = "account_transfers"
    label = "Account holder, balance and onward transfers"
    answered_by = frozenset({PartnerKind.BANK.value})
    input_schema = AccountTransfersInput
    answer_schema = AccountTransfersAnswer
    subject = PersonalValue("account_number", Kind.ACCOUNT, revealed_as="account_number")
    answer_values = (
        PersonalValue("holder_name", Kind.NAME, revealed_as="result_holder"),
        PersonalValue("holder_id_number", Kind.ID_NUMBER, revealed_as="result_holder_id"),
        PersonalValue(
            "to_account", Kind.ACCOUNT, revealed_as="transfer_account", found=True, within="transfers"
        ),
    )
    actions = AccountTransfersAction
    traits = TRAITS
    submitted_action = AccountTransfersAction.TRANSFERS_REQUESTED
    default_deadline = timedelta(seconds=60)

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """A trace's query: follow the answered account's transfers to the next tier."""
        # Imported here: the engine sends queries (`exchange.services`), which need the kinds loaded.
        from exchange.traces.engine import transfers_answered

        transfers_answered(query, answer)


SPEC = AccountTransfers()

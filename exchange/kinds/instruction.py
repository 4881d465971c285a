"""What the stop-payment and freeze kinds have in common: each is an instruction a bank acts on.

A stop-payment, a freeze, its renewal and its release are not questions but orders about one
account at a bank: only a bank answers them, the account is what each is about, the bank's
answer names no personal value, and the bank must be able to attribute the order to the unit
that gave it, so it is signed with the unit's own key (`exchange.instructions`). Everything
else (the inputs, the deadline, whether a supervisor approves it, what an answer sets off)
is each kind's own.
"""

from __future__ import annotations

from exchange.kinds.base import KindSpec, PersonalValue
from partners.choices import PartnerKind
from privacy.choices import Kind


class BankInstruction(KindSpec):
    """A kind that is an instruction, signed by the unit, that a bank acts on an account."""

    answered_by = frozenset({PartnerKind.BANK.value})
    subject = PersonalValue("account_number", Kind.ACCOUNT, revealed_as="account_number")
    answer_values = ()
    signed_by_unit = True
    outcome_key = "outcome"

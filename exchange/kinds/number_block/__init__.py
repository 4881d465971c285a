"""Number block: a telecom operator blocks a phone number used in a fraud, for a period.

The officer gives one phone number (the subject: encrypted, searchable by its blind index),
the reason (a code) and the period in days (1 to 365, 180 unless told). The operator answers
for the number: `blocked` until a time, `already_blocked` until the end of the block in force,
or `refused` with a reason code (`protected_number` for an emergency or government number).
The number in the answer is masked and revealable like the subject; it is the subject asked
about, not an identifier the answer finds, so it makes no `Finding` row.

One number per query: a kind's personal inputs are single values (`Query.subject`,
`Query.personal_input`), so a batch of numbers is a batch of queries (`POST /queries/batch/`).
"""

from __future__ import annotations

from datetime import timedelta

from exchange.kinds.base import KindSpec, PersonalValue
from partners.choices import PartnerKind
from privacy.choices import Kind

from .audit_actions import TRAITS, NumberBlockAction
from .schemas import NumberBlockAnswer, NumberBlockInput


class NumberBlock(KindSpec):
    name = "number_block"
    label = "Block a fraud phone number"
    answered_by = frozenset({PartnerKind.TELECOM.value})
    input_schema = NumberBlockInput
    answer_schema = NumberBlockAnswer
    subject = PersonalValue("phone_number", Kind.PHONE, revealed_as="phone_number")
    answer_values = (PersonalValue("phone_number", Kind.PHONE, revealed_as="result_phone_number"),)
    actions = NumberBlockAction
    traits = TRAITS
    submitted_action = NumberBlockAction.NUMBER_BLOCK_REQUESTED
    # An operator's adapter blocks by itself; a number left live keeps calling victims.
    default_deadline = timedelta(seconds=120)
    needs_approval = False
    outcome_key = "outcome"


SPEC = NumberBlock()

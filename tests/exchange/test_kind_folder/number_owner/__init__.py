"""Number owner: a telecom says who holds a phone number, and where its calls are forwarded.

A kind written for the tests and nothing else, to show that a kind is this folder: the
exchange, the API, delivery, masking, reveal and findings take it as they take order lookups.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from exchange.kinds.base import KindSpec, PersonalValue
from exchange.models import Query
from partners.choices import PartnerKind
from privacy.choices import Kind

from .audit_actions import TRAITS, NumberOwnerAction
from .schemas import NumberOwnerAnswer, NumberOwnerInput

# What `on_answer` saw, for the test to read: (query id, answer, inside a transaction).
ANSWERS_SEEN: list[tuple[Any, dict[str, Any], bool]] = []


class NumberOwner(KindSpec):
    name = "number_owner"
    label = "Holder of a phone number"
    answered_by = frozenset({PartnerKind.TELECOM.value})
    input_schema = NumberOwnerInput
    answer_schema = NumberOwnerAnswer
    subject = PersonalValue("phone_number", Kind.PHONE, revealed_as="phone_number")
    answer_values = (
        PersonalValue("holder_name", Kind.NAME, revealed_as="holder_name"),
        PersonalValue("forwarded_to", Kind.PHONE, revealed_as="forwarded_to", found=True),
    )
    actions = NumberOwnerAction
    traits = TRAITS
    submitted_action = NumberOwnerAction.NUMBER_OWNER_ASKED
    default_deadline = timedelta(minutes=5)

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        from django.db import connection

        ANSWERS_SEEN.append((query.pk, answer, connection.in_atomic_block))


SPEC = NumberOwner()

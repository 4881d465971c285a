"""Order lookup: a payment platform says which bank account an order's money went to.

The officer gives the order number from the victim's receipt (the subject, searchable by
its blind index); the platform answers the bank, the account (masked, revealable, kept as
a finding so other cases that meet it are found), the holder's name and the payment.
"""

from __future__ import annotations

from datetime import timedelta

from exchange.kinds.base import KindSpec, PersonalValue
from partners.choices import PartnerKind
from privacy.choices import Kind

from .audit_actions import TRAITS, OrderLookupAction
from .schemas import OrderLookupAnswer, OrderLookupInput


class OrderLookup(KindSpec):
    name = "order_lookup"
    label = "Order number to bank account"
    answered_by = frozenset({PartnerKind.PAYMENT_PLATFORM.value})
    input_schema = OrderLookupInput
    answer_schema = OrderLookupAnswer
    subject = PersonalValue("order_number", Kind.ORDER_NUMBER, revealed_as="order_number")
    answer_values = (
        PersonalValue("account_number", Kind.ACCOUNT, revealed_as="result_account", found=True),
        PersonalValue("holder_name", Kind.NAME, revealed_as="result_holder"),
    )
    actions = OrderLookupAction
    traits = TRAITS
    submitted_action = OrderLookupAction.LOOKUP_SUBMITTED
    # The first-response time the Chongqing centre quotes for an emergency query.
    default_deadline = timedelta(seconds=30)
    needs_approval = False
    # `on_answer` stays the base's: nothing follows an order lookup by itself; the officer
    # decides what to ask the bank next.


SPEC = OrderLookup()

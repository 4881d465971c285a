"""What the exchange records along a case's life and a query's journey.

A query's submission is recorded with its kind's own action (each kind's package in
`exchange.kinds` registers its actions); the rest of the journey is the same for every kind.
"""

from django.db import models

from audit.vocabulary import Trait


class ExchangeAction(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    CASE_VIEWED = "case_viewed", "Case viewed"
    CASE_CLOSED = "case_closed", "Case closed"
    CASE_ERASED = "case_erased", "Case's personal values erased at the end of retention"
    QUERY_REFUSED = "query_refused", "Query refused by the gateway"
    QUERY_DISPATCHED = "query_dispatched", "Query delivered to its partner"
    QUERY_ANSWERED = "query_answered", "Query answered"
    QUERY_FAILED = "query_failed", "Query failed"
    QUERY_EXPIRED = "query_expired", "Query expired"
    ANSWER_CONFLICT = "answer_conflict", "Conflicting answer refused"
    ACCOUNT_SEARCHED = "account_searched", "Account searched"
    QUERY_APPROVED = "query_approved", "Query approved by a supervisor"
    QUERY_REJECTED = "query_rejected", "Query rejected by a supervisor"
    QUERY_CANCELLED = "query_cancelled", "Query cancelled"
    HOLD_STARTED = "hold_started", "Hold started by the bank"
    HOLD_REPLACED = "hold_replaced", "Stop-payment replaced by a freeze"
    HOLD_RENEWED = "hold_renewed", "Freeze renewed"
    HOLD_RELEASED = "hold_released", "Freeze released"
    HOLD_EXPIRING = "hold_expiring", "Hold ends within six hours"
    HOLD_EXPIRED = "hold_expired", "Hold expired"
    HOLDS_VIEWED = "holds_viewed", "A case's holds viewed"


TRAITS = {
    ExchangeAction.CASE_VIEWED: {Trait.CASE_ACCESS, Trait.PASSIVE},
    ExchangeAction.CASE_CLOSED: {Trait.CASE_CLOSE},
    ExchangeAction.HOLDS_VIEWED: {Trait.CASE_ACCESS, Trait.PASSIVE},
}

"""Choices of the exchange: cases, queries, the identifiers answers name, reveal purposes."""

from django.db import models

from privacy.choices import Kind


class FraudType(models.TextChoices):
    IMPERSONATION = "impersonation", "Impersonating police, officials or customer service"
    INVESTMENT = "investment", "Fake investment or gambling platform"
    ONLINE_SHOPPING = "online_shopping", "Online shopping or refund scam"
    LOAN = "loan", "Fake loan or credit repair"
    ROMANCE = "romance", "Romance scam"
    PART_TIME_JOB = "part_time_job", "Part-time job or click-farming scam"
    OTHER = "other", "Other"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class QueryStatus(models.TextChoices):
    """Where a query is on its way; the moves between them are `exchange.states.TRANSITIONS`."""

    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval by a supervisor"
    PENDING = "pending", "Pending: waiting to be delivered"
    DISPATCHED = "dispatched", "Dispatched: delivered to the partner"
    ANSWERED = "answered", "Answered"
    NOT_FOUND = "not_found", "Not found by the partner"
    FAILED = "failed", "Failed: the partner could not answer"
    EXPIRED = "expired", "Expired: no answer before the deadline"
    REFUSED = "refused", "Refused by the gateway"
    CANCELLED = "cancelled", "Cancelled before it was answered"


# On their way to the partner, or with it: what delivery, the inbox and expiry work on.
OPEN_QUERY_STATUSES = frozenset({QueryStatus.PENDING, QueryStatus.DISPATCHED})
ANSWER_STATUSES = frozenset({QueryStatus.ANSWERED, QueryStatus.NOT_FOUND, QueryStatus.FAILED})
# Never sent to the partner, so the partner never sees them: refused by the gateway, or still
# waiting for a supervisor's approval.
NOT_SENT_STATUSES = frozenset({QueryStatus.REFUSED, QueryStatus.AWAITING_APPROVAL})


class FindingKind(models.TextChoices):
    """The identifiers an answer may name that are kept as `Finding` rows: the values are
    privacy kinds, so each row's value is masked and matched as what it is."""

    ACCOUNT = Kind.ACCOUNT.value, "Bank account or card number"
    PHONE = Kind.PHONE.value, "Phone number"


class RevealPurpose(models.TextChoices):
    """Why plaintext is needed: a code from this list, never free text, since free text in
    the audit log could itself hold the personal data being revealed."""

    FREEZE_REQUEST = "freeze_request", "Ask the bank to stop payment or freeze the account"
    IDENTIFY_SUSPECT = "identify_suspect", "Identify the account holder as a suspect"
    TRACE_FUNDS = "trace_funds", "Follow the money to onward accounts"
    VICTIM_RETURN = "victim_return", "Return funds to the victim"
    EVIDENCE = "evidence", "Case file and court evidence"


class HoldKind(models.TextChoices):
    STOP_PAYMENT = "stop_payment", "Emergency stop-payment (48 hours)"
    FREEZE = "freeze", "Freeze by decision (six months, renewable)"


class HoldStatus(models.TextChoices):
    ACTIVE = "active", "In force"
    EXPIRED = "expired", "Expired at the end of its period"
    RELEASED = "released", "Released"
    REPLACED = "replaced", "Replaced by a freeze"

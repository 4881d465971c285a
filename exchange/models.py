"""Cases, the queries sent for them, the identifiers their answers name, and the outbox.

Every personal value is an encrypted field (`privacy.fields`), with a blind index where it
is searched. Storage knows no request kind: a query holds its subject (whatever its kind
asks about), its answer as an encrypted document, and the accounts and phone numbers its
answer names as `Finding` rows; each kind's package (`exchange.kinds`) says what they are.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from partners.models import Partner, Person
from privacy.blind_index import NORMALISERS
from privacy.choices import Kind
from privacy.fields import BlindIndexField, EncryptedTextField

from .choices import CaseStatus, FindingKind, FraudType, HoldKind, HoldStatus, QueryStatus
from .querysets import CaseQuerySet, HoldQuerySet, QueryQuerySet, TraceQuerySet


class Case(models.Model):
    """A fraud case of one police unit; invisible to every other unit.

    The case number is the unit's own reference, not personal data; the title may name
    people, so it is encrypted. A closed case accepts no new queries. Closed longer than the
    retention period, its personal values are erased (`exchange.retention`, `erased_at`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(max_length=64)
    title = EncryptedTextField(kind=Kind.FREE_TEXT)
    fraud_type = models.CharField(max_length=20, choices=FraudType.choices)
    legal_basis = models.CharField(max_length=300)
    victim_loss = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When its personal values were erased, at the end of retention."
    )

    objects: ClassVar[Any] = CaseQuerySet.as_manager()
    # The column naming the case an event about this object belongs to (`api.views.restricted_get`).
    audit_case_field: ClassVar[str] = "pk"

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="case_number_unique_per_unit")]
        indexes = [models.Index(fields=["unit", "-opened_at"], name="case_unit_opened_idx")]

    def __str__(self) -> str:
        return f"{self.unit.code}/{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


# What a query may ask about: any value that can be matched by its blind index.
SUBJECT_KINDS = [(kind.value, kind.label) for kind in Kind if kind in NORMALISERS]


class Query(models.Model):
    """One request to one partner for one case: its input, its journey and its answer.

    What it asks about (`subject`: for an order lookup, the order number) is encrypted and
    searched by its blind index, as a value of `subject_kind`; the kind's other inputs are
    not personal (`params`). The answer is one encrypted JSON document (`answer`), rendered
    by the kind's answer schema; the identifiers it names are `findings`. A partner's own
    words on a not-found or failed answer may name people, so they are encrypted too
    (`partner_reason`); `reason` holds only the gateway's codes. `answer_digest` makes
    answers idempotent: the same answer again is a no-op, a different one a conflict. An
    answer's outcome code (stopped, blocked, refused) is kept in the clear as `outcome`, for
    the figures: a code of the kind's choices, never personal.
    `status` moves only through `exchange.states.move`. `parent` is the query whose answer
    led to this one (the next tier of a trace), `trace` and `tier` where it stands in one.
    Personal inputs beside the subject (a holder's name) are one encrypted document,
    `personal_input`.
    Its journey's moments split a round trip into stages: `created_at` (accepted), its outbox
    row's `relayed_at` (handed to Celery), `dispatched_at` (a worker picked the push up, or an
    adapter leased it), `delivered_at` (the webhook replied), `answered_at` (the answer
    stored), `answer_seen_at` (police of its unit first read it closed; written once).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="queries")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=40, help_text="A request kind of `exchange.kinds`.")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="queries_received")
    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    subject_kind = models.CharField(max_length=20, choices=SUBJECT_KINDS)
    subject = EncryptedTextField(kind_field="subject_kind")
    subject_index = BlindIndexField(source="subject", db_index=True)
    params = models.JSONField(default=dict, blank=True, help_text="The kind's non-personal inputs.")
    personal_input = EncryptedTextField(
        kind=Kind.FREE_TEXT, null=True, blank=True, help_text="The kind's other personal inputs, as JSON."
    )
    trace = models.ForeignKey(
        "Trace", null=True, blank=True, on_delete=models.PROTECT, related_name="queries"
    )
    tier = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Its tier in its trace.")
    status = models.CharField(max_length=20, choices=QueryStatus.choices, default=QueryStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was refused, failed or expired.")
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the partner's webhook first replied to a push of it."
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    answer_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="When police of its unit first read it closed (its answer, or none)."
    )
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A pull adapter holds it until then.")
    delivery_attempts = models.PositiveIntegerField(default=0)
    answer = EncryptedTextField(kind=Kind.FREE_TEXT, null=True, blank=True)
    partner_reason = EncryptedTextField(kind=Kind.FREE_TEXT, null=True, blank=True)
    answer_digest = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(
        max_length=30,
        blank=True,
        default="",
        db_default="",
        help_text="The answer's outcome code, if its kind has one.",
    )

    objects: ClassVar[Any] = QueryQuerySet.as_manager()
    audit_case_field: ClassVar[str] = "case_id"
    # Derived from personal values though not encrypted: cleared with them (`exchange.retention`).
    erased_with_values: ClassVar[tuple[str, ...]] = ("answer_digest",)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "queries"
        indexes = [
            models.Index(fields=["case", "-created_at"], name="query_case_idx"),
            models.Index(fields=["partner", "status", "created_at"], name="query_inbox_idx"),
            models.Index(fields=["status", "deadline"], name="query_deadline_idx"),
            # A day's queries, for the figures' roll-up (`stats.rollup`) and today's figures.
            models.Index(fields=["created_at"], name="query_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    def answer_document(self) -> dict[str, Any] | None:
        """The answer as its kind's schema rendered it (decrypted on each call); None before one."""
        return None if self.answer is None else dict(json.loads(self.answer))

    def set_answer_document(self, document: dict[str, Any]) -> None:
        self.answer = json.dumps(document, ensure_ascii=False)

    def personal_input_document(self) -> dict[str, str]:
        return {} if not self.personal_input else dict(json.loads(self.personal_input))

    def set_personal_input_document(self, document: dict[str, str]) -> None:
        self.personal_input = json.dumps(document, ensure_ascii=False) if document else None


class Finding(models.Model):
    """An account or a phone number an answer named, linked to its query, case and partner.

    Kept as rows of their own, encrypted and blind-indexed, so that which cases meet an
    account, a trace's graph and a watchlist are indexed queries, not scans of answers.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="findings")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="findings")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="findings", help_text="The partner that answered."
    )
    kind = models.CharField(max_length=10, choices=FindingKind.choices)
    value = EncryptedTextField(kind_field="kind")
    # Indexed with the case below: "which cases involve this value" reads the index alone.
    value_index = BlindIndexField(source="value", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["value_index", "case"], name="finding_value_case_idx")]

    def __str__(self) -> str:
        return f"{self.kind} found by {self.query_id}"


class OutboxMessage(models.Model):
    """A query to deliver, written in the transaction that created the query.

    The relay hands it to Celery after commit; a sweeper re-sends rows that were never
    relayed (a crash between commit and publish), so no query is lost on the way out.
    """

    query = models.OneToOneField(Query, on_delete=models.PROTECT, related_name="outbox")
    created_at = models.DateTimeField(default=timezone.now)
    relayed_at = models.DateTimeField(null=True, blank=True)
    relay_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["relayed_at", "created_at"], name="outbox_unrelayed_idx")]

    def __str__(self) -> str:
        return f"outbox {self.pk} for {self.query_id}"


class Trace(models.Model):
    """Following the money from one account, tier by tier, through the banks, for one case.

    It starts from an answered lookup (`source_query`) or from an account given by the officer;
    its queries (`queries`) carry it and their tier. It follows each onward transfer to the
    account's bank, up to `max_tiers`, from `start_time`, at or above `min_amount`; with
    `stop_payments` it asks a stop-payment on every account that still holds money. Its
    accounts and transfers (`accounts`, `transfers`) are the fund-flow graph. It is running
    while any of its queries is open; `finished_at` is set when the last one closes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="traces")
    started_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    source_query = models.ForeignKey(
        Query, null=True, blank=True, on_delete=models.PROTECT, related_name="traces_started"
    )
    max_tiers = models.PositiveSmallIntegerField(default=5)
    start_time = models.DateTimeField(null=True, blank=True)
    min_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stop_payments = models.BooleanField(default=False)
    # How the money reached a start account the officer gave (not personal): the amount and
    # time a tier-1 stop-payment cites; from a lookup, its order says them.
    start_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    start_transaction_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[Any] = TraceQuerySet.as_manager()
    audit_case_field: ClassVar[str] = "case_id"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "-created_at"], name="trace_case_idx")]

    def __str__(self) -> str:
        return f"trace {self.id}"


class TraceAccount(models.Model):
    """An account met in a trace: a node of its graph, asked at most once (`unique`).

    `bank` is the partner its number routes to, or empty with `unroutable_reason`; `query` the
    account_transfers query asked of it, `stop_query` its stop-payment. `balance` and the
    holder come from the bank's answer (the holder stays in the answer, encrypted).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trace = models.ForeignKey(Trace, on_delete=models.PROTECT, related_name="accounts")
    account = EncryptedTextField(kind=Kind.ACCOUNT)
    account_index = BlindIndexField(source="account", db_index=False)
    tier = models.PositiveSmallIntegerField()
    bank = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unroutable_reason = models.CharField(max_length=40, blank=True)
    stop_reason = models.CharField(max_length=40, blank=True, help_text="Why the trace went no further.")
    query = models.ForeignKey(Query, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stop_query = models.ForeignKey(Query, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    balance = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tier", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["trace", "account_index"], name="trace_account_once"),
        ]

    def __str__(self) -> str:
        return f"account of {self.trace_id} at tier {self.tier}"


class TraceTransfer(models.Model):
    """A transfer a bank reported out of a trace's account: an edge of the graph; a cash
    withdrawal has no `target`."""

    trace = models.ForeignKey(Trace, on_delete=models.PROTECT, related_name="transfers")
    source = models.ForeignKey(TraceAccount, on_delete=models.PROTECT, related_name="outgoing")
    target = models.ForeignKey(
        TraceAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    at = models.DateTimeField()
    channel = models.CharField(max_length=30)
    to_bank = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"transfer in {self.trace_id}"


class Hold(models.Model):
    """Money held on an account for a case: a stop-payment (48 hours from the bank's stop) or
    a freeze (its decision's period, renewable), as the bank's answer established it.

    `query` is the instruction that established it; `status` says whether it is in force,
    ended by its expiry, released, or replaced by a freeze. `warned_at` marks the warning
    sent before its end, so it is sent once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="holds")
    query = models.OneToOneField(Query, on_delete=models.PROTECT, related_name="hold")
    bank = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=HoldKind.choices)
    account = EncryptedTextField(kind=Kind.ACCOUNT)
    account_index = BlindIndexField(source="account", db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    partial = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE)
    warned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[Any] = HoldQuerySet.as_manager()
    audit_case_field: ClassVar[str] = "case_id"

    class Meta:
        ordering = ["expires_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="hold_status_expiry_idx"),
            models.Index(fields=["account_index", "case"], name="hold_account_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} hold {self.id} ({self.status})"

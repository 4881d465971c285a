"""Cases and the queries sent for them, with the outbox that carries queries to partners.

Every personal value is an encrypted field (`privacy.fields`), with a blind index where it
is searched: the subject of a query (an order number, an account) and the account answered.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from partners.choices import RequestKind
from partners.models import Partner, Person
from privacy.choices import Kind
from privacy.fields import BlindIndexField, EncryptedTextField

from .choices import CaseStatus, FraudType, QueryStatus
from .querysets import CaseQuerySet, QueryQuerySet


class Case(models.Model):
    """A fraud case of one police unit; invisible to every other unit.

    The case number is the unit's own reference, not personal data; the title may name
    people, so it is encrypted. A closed case accepts no new queries.
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


class Query(models.Model):
    """One request to one partner for one case: its input, its journey and its answer.

    The identifier asked about (for an order lookup, `order_number`) is searched by its blind
    index; each request kind names its subject field in `exchange.kinds`. The answer's account
    and holder name are encrypted; the rest of the answer (bank, amount, time) is not
    personal. A partner's own words on a not-found or failed answer may name people, so they are
    encrypted too (`partner_reason`); `reason` holds only the gateway's codes. `answer_digest`
    makes answers idempotent: the same answer again is a no-op, a
    different one a conflict.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="queries")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="queries_received")
    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    order_number = EncryptedTextField(kind=Kind.ORDER_NUMBER, null=True, blank=True)
    order_number_index = BlindIndexField(source="order_number", db_index=True, null=True, blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="The kind's non-personal inputs.")
    status = models.CharField(max_length=12, choices=QueryStatus.choices, default=QueryStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was refused, failed or expired.")
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A pull adapter holds it until then.")
    delivery_attempts = models.PositiveIntegerField(default=0)
    result_bank = models.CharField(max_length=100, blank=True)
    result_account = EncryptedTextField(kind=Kind.ACCOUNT, null=True, blank=True)
    result_account_index = BlindIndexField(source="result_account", db_index=True, null=True, blank=True)
    result_holder = EncryptedTextField(kind=Kind.NAME, null=True, blank=True)
    result_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    result_paid_at = models.DateTimeField(null=True, blank=True)
    partner_reason = EncryptedTextField(kind=Kind.FREE_TEXT, null=True, blank=True)
    answer_digest = models.CharField(max_length=64, blank=True)

    objects: ClassVar[Any] = QueryQuerySet.as_manager()
    audit_case_field: ClassVar[str] = "case_id"

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "queries"
        indexes = [
            models.Index(fields=["case", "-created_at"], name="query_case_idx"),
            models.Index(fields=["partner", "status", "created_at"], name="query_inbox_idx"),
            models.Index(fields=["status", "deadline"], name="query_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"


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

"""The partner registry: partners, the people and adapter keys that act for them, grants."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, PermissionsMixin
from django.db import models
from django.utils import timezone
from guardian.managers import GroupObjectPermissionManager
from guardian.models import GroupObjectPermissionBase

from core.roles import Role
from privacy.choices import Kind
from privacy.fields import EncryptedTextField

from .choices import Delivery, PartnerKind, PartnerStatus, PushQueue
from .permissions import kind_of
from .querysets import AdapterKeyQuerySet, GrantQuerySet, PartnerQuerySet, PersonManager

if TYPE_CHECKING:
    from datetime import datetime


class Partner(models.Model):
    """A police unit, bank, payment platform, telecom operator, oversight body or the exchange.

    Its `code` is stable and is what the API and adapters use. Suspending a partner stops all
    of its traffic at once: its people and adapters are refused, and nobody may send to it.
    Each partner has a group: guardian grants are given to a police unit's group.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PartnerKind.choices)
    status = models.CharField(max_length=12, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True)
    webhook_url = models.URLField(blank=True)
    push_queue = models.CharField(
        max_length=20,
        choices=PushQueue.choices,
        default=PushQueue.DEFAULT,
        db_default=PushQueue.DEFAULT,
        help_text="The Celery queue of its pushes: a partner answering in seconds goes to `push_slow`.",
    )
    answers = models.JSONField(default=list, blank=True, help_text="Request kinds this partner answers.")
    input_formats = models.JSONField(
        default=dict, blank=True, help_text="Regular expressions inputs must match, by input name."
    )
    bins = models.JSONField(
        default=list,
        blank=True,
        help_text="A bank's card-number prefixes (BINs): accounts that start with one are routed to it.",
    )
    stop_payment_needs_approval = models.BooleanField(
        default=False,
        help_text="A police unit's emergency policy: whether its stop-payments wait for a supervisor. "
        "By default they leave at once, as the 2016 rules on emergency stop-payment intend.",
    )
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="partner")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delivery__in=["", *Delivery.values]), name="partner_delivery_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == PartnerStatus.ACTIVE


class Person(AbstractBaseUser, PermissionsMixin):
    """A human who acts for exactly one partner, in one role.

    Only a username identifies a person here: AFX keeps no staff names or contacts, so it
    holds no personal data of its own users beyond what sign-in needs.

    Nobody else ever knows a person's password: a new person (or one whose enrolment an
    administrator started over) has an unusable password and a pending enrolment code, of
    which only a digest is kept (`partners.enrolment`); the person sets their password with it.
    """

    username = models.CharField(max_length=80, unique=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(max_length=16, choices=[(r.value, r.label) for r in Role if r != Role.ADAPTER])
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    enrolment_digest = models.CharField(max_length=64, blank=True, editable=False)
    enrolment_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[PersonManager] = PersonManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["username"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        """Only administrators reach the Django admin, and only while their partner is active
        (the admin's sign-in and every admin page check it, as the API checks suspension)."""
        return self.role == Role.ADMINISTRATOR and self.partner.is_active

    @property
    def actor_label(self) -> str:
        return f"person:{self.username}"

    is_adapter = False


class Enrolment(models.Model):
    """Split custody of a person's pending enrolment code: the second half, kept encrypted.

    An administrator who makes a code (creating a person, or starting their enrolment over) is
    shown only the first half; the second is released once, to a witness who is not that
    administrator (`services.people.person_enrolment_witness`), so no single person holds the whole
    code and can enrol as someone else. `made_by` and `witness` are actor labels, copied into
    the `person_enrolled` event so an auditor sees who could have enrolled. A code made from
    the server's shell was shown whole: `second_half` is empty and `released_at` set at once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="enrolment")
    second_half = EncryptedTextField(kind=Kind.SECRET, blank=True)
    made_by = models.CharField(max_length=120)
    witness = models.CharField(max_length=120, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment of {self.person}"


class AdapterKey(models.Model):
    """A machine identity of an answering partner: an Ed25519 public key and its key id.

    The adapter signs its requests (RFC 9421) with the private key, which AFX never stores:
    whoever reads this table can verify an adapter's signatures but not make one. The
    signature's `keyid` names the row. A partner holds at most two active keys, so it can
    rotate without downtime. Keys from before Ed25519 (HMAC secrets) were revoked by
    migration 0004 and have no public key; every other row has one.
    """

    MAX_ACTIVE_PER_PARTNER = 2

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="adapter_keys")
    key_id = models.CharField(max_length=16, unique=True, help_text="Names the key in signatures (keyid).")
    # NULL, not "": only revoked pre-Ed25519 keys lack one, and several NULLs keep `unique` valid.
    public_key = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, help_text="base64url of the raw 32-byte Ed25519 public key."
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = AdapterKeyQuerySet.as_manager()

    class Meta:
        ordering = ["partner__code", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(public_key__isnull=False) | models.Q(revoked_at__isnull=False),
                name="adapter_key_active_has_public_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code}/{self.key_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SeenNonce(models.Model):
    """A nonce an adapter key has signed with, kept until no request carrying it can be fresh.

    Replay protection lives here, not in the cache: a cache may evict an entry within the
    window (the database cache culls past its size, Redis evicts under memory pressure), and
    a forgotten nonce is an accepted replay. The unique constraint makes the check and the
    record one atomic insert, also between processes. `expires_at` is the signature's
    `created` plus the allowed skew: after it, the same signature is refused as stale, so
    the row may be purged (`nonces_purge`, run by Celery beat).
    """

    key = models.ForeignKey(AdapterKey, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "nonce"], name="seen_nonce_once_per_key")]

    def __str__(self) -> str:
        return f"nonce of {self.key_id}"


class Grant(GroupObjectPermissionBase):
    """Police unit may send one request kind to one partner until `expires_at`.

    A guardian direct foreign-key group permission (its documented fast path): `group` is the
    unit's group, `content_object` the partner asked, `permission` is `send_<kind>`. Expiry
    and legal basis are ours; the restriction point ignores expired grants. The permission
    rows, one per request kind, are made after `migrate` (`partners.permissions`). Revoking deletes
    the row; the audit log keeps its history.
    """

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="grants_received")
    expires_at = models.DateTimeField()
    legal_basis = models.CharField(max_length=300, blank=True)
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    granted_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects: ClassVar[Any] = GroupObjectPermissionManager.from_queryset(GrantQuerySet)()

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["group", "content_object", "expires_at"], name="grant_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.unit_code} -> {self.content_object.code}: {self.request_kind}"

    @property
    def request_kind(self) -> str:
        return kind_of(self.permission.codename)

    @property
    def unit_code(self) -> str:
        return self.group.name.removeprefix("partner:")

    def is_active_at(self, moment: datetime) -> bool:
        return self.expires_at > moment


class UnitSigningKey(models.Model):
    """A police unit's own Ed25519 key, which signs the instructions it orders (stop-payments,
    freezes), so a bank can prove which unit ordered one without trusting the transport.

    The gateway holds the private key encrypted, as the unit's electronic seal held on its
    behalf, and signs with it only for a query of that unit; the public key is published to
    partners at `/api/v1/signing-keys/`. A unit has one active key; a replaced key stays
    published (`retired_at` set) so instructions signed before still verify.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="signing_keys")
    key_id = models.CharField(max_length=64, unique=True, help_text="The public key's fingerprint.")
    public_key = models.CharField(max_length=64, unique=True, help_text="base64url of the raw public key.")
    private_key = EncryptedTextField(kind=Kind.SECRET)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__code", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(retired_at__isnull=True),
                name="unit_one_active_signing_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.code}/{self.key_id}"

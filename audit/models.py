"""The audit log and the Merkle tree over it. Every table here is append-only.

Writers only ever insert `AuditEvent` rows (through `audit.services.event_record`); a
database trigger queues each new event in `UnsequencedEvent`. The sequencer
(`audit.sequencer`) later takes committed events from that queue, appends them to the tree
as `SequencedLeaf` rows, stores the tree's new `MerkleNode`s and publishes a
`SignedTreeHead`. A `SigningKeyChange` hands the signing over from one key to the next.
Triggers (`audit.append_only`) refuse UPDATE and DELETE on events, leaves, nodes, heads
and key changes; only the queue is deleted from, by the sequencer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from django.utils import timezone

from .choices import ActorType, Outcome
from .head_signature import TreeHead
from .key_history import KeyChange, SignedKeyChange
from .querysets import AuditReadQuerySet


class AuditEvent(models.Model):
    """Who did what to which target, when, from where, with which outcome.

    The actor is stored as text (type, id, partner code, role), not as foreign keys, so the
    log stays whole and readable whatever later happens to partners and people. `details`
    never holds plaintext personal data. Filters of the events API each have an index
    ending in `id`, so a filtered, newest-first page is one backward index scan even on
    millions of rows.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=12, choices=ActorType.choices)
    actor_id = models.CharField(max_length=120, blank=True)
    actor_partner = models.CharField(max_length=40, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    # Any registered action (`audit.vocabulary`): no choices here, so a new one needs no migration.
    action = models.CharField(max_length=40)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    case_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditReadQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Time windows: `audit.selectors` finds a window's id range from it, index only.
            models.Index(fields=["created_at", "id"], name="audit_created_idx"),
            models.Index(fields=["actor_id", "id"], name="audit_actor_idx"),
            models.Index(fields=["actor_partner", "id"], name="audit_partner_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target_idx"),
            models.Index(fields=["case_id", "id"], name="audit_case_idx", condition=~models.Q(case_id="")),
            models.Index(
                fields=["outcome", "id"], name="audit_outcome_idx", condition=~models.Q(outcome="allowed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_id} {self.action} {self.outcome}"


class UnsequencedEvent(models.Model):
    """The queue of committed events the sequencer has not yet put in the tree.

    Filled by an AFTER INSERT trigger on `AuditEvent`, in the writer's transaction, so a
    row appears exactly when its event commits and no insert path (bulk or raw) can skip
    it. The sequencer claims rows with one DELETE ... RETURNING; this is the only audit
    table that is ever deleted from. `created_at` is copied from the event for the lag check.
    """

    event_id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"event {self.event_id} (queued)"


class SequencedLeaf(models.Model):
    """Leaf `leaf_index` of the tree is event `event`, whose leaf hash is `leaf_hash`.

    A separate table, so that sequencing never updates an event row: the event stays
    exactly as its writer committed it. No database foreign key: a deleted event must
    leave its leaf behind for `audit_verify` to name.
    """

    leaf_index = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="leaf"
    )
    leaf_hash = models.BinaryField(max_length=32)

    objects = AuditReadQuerySet.as_manager()

    def __str__(self) -> str:
        return f"leaf {self.leaf_index}: event {self.event_id}"


class MerkleNode(models.Model):
    """The root of a perfect subtree: 2**level leaves, the index-th such subtree from the left.

    Written once by the sequencer when its last leaf arrives, so an inclusion or
    consistency proof reads O(log n) rows instead of rehashing leaves. Only even levels
    from 2 up are stored (level 0 is `SequencedLeaf.leaf_hash`; an odd level is one hash
    of two stored children, see `audit.tree`): a third as many rows as leaves.
    `position` packs the pair as ``index * 64 + level`` (`audit.tree.position`): a proof's
    nodes are then one indexed IN lookup on a single column, which plans in microseconds
    where a list of (level, index) pairs takes longer to plan than to run.
    """

    position = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"node {self.position % 64}/{self.position // 64}"


class SignedTreeHead(models.Model):
    """A signed commitment to the first `tree_size` leaves, published by the sequencer.

    `signature` signs the RFC 6962-style head (`audit.head_signature`), which outsiders
    check proofs against. `link_signature` signs the head together with its `number`
    (`audit.head_chain`): heads are numbered 1, 2, 3... with no gap, so a deleted head,
    or several, shows as a gap in signed numbers. `compact_range` is the tree's state after
    this head, from which the sequencer resumes.
    """

    number = models.PositiveBigIntegerField(primary_key=True)
    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    timestamp_ms = models.PositiveBigIntegerField()
    signature = models.BinaryField(max_length=64)
    link_signature = models.BinaryField(max_length=64)
    key_id = models.CharField(max_length=16, help_text="Fingerprint of the public key that signed.")
    compact_range = models.BinaryField()

    objects = AuditReadQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"head {self.number}: {self.tree_size} leaves"

    @property
    def head(self) -> TreeHead:
        return TreeHead(
            tree_size=self.tree_size, root_hash=bytes(self.root_hash), timestamp_ms=self.timestamp_ms
        )

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)


class SigningKeyChange(models.Model):
    """The sequencer's signing key handed over from `previous_public_key` to `public_key`.

    Written once by `audit.key_rotation.signing_key_rotate`, in the sequencer's lock, so it
    names the last head the previous key signed (`head_number`, with its size and root):
    later heads are signed by the new key. `signature` is the previous key's over the
    change (`audit.key_history`), `new_key_signature` the new key's, proving it is held.
    Numbered 1, 2, 3... like heads, so a deleted change is a gap.
    """

    number = models.PositiveBigIntegerField(primary_key=True)
    previous_public_key = models.BinaryField(max_length=32)
    public_key = models.BinaryField(max_length=32)
    previous_key_id = models.CharField(max_length=16)
    key_id = models.CharField(max_length=16, help_text="Fingerprint of the new key.")
    head_number = models.PositiveBigIntegerField(help_text="The last head the previous key signed (0: none).")
    tree_size = models.PositiveBigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    timestamp_ms = models.PositiveBigIntegerField()
    signature = models.BinaryField(max_length=64)
    new_key_signature = models.BinaryField(max_length=64)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"key change {self.number}: {self.previous_key_id} to {self.key_id} after {self.head_number}"

    @property
    def change(self) -> KeyChange:
        return KeyChange(
            number=self.number,
            previous_key=bytes(self.previous_public_key),
            new_key=bytes(self.public_key),
            head_number=self.head_number,
            tree_size=self.tree_size,
            root_hash=bytes(self.root_hash),
            timestamp_ms=self.timestamp_ms,
        )

    @property
    def signed(self) -> SignedKeyChange:
        """The change with its signatures; building it raises ValueError if a stored field is malformed."""
        return SignedKeyChange(self.change, bytes(self.signature), bytes(self.new_key_signature))

    @classmethod
    def stored(cls, signed: SignedKeyChange) -> SigningKeyChange:
        """Write a signed change as its row: the inverse of `signed`."""
        change = signed.change
        created: SigningKeyChange = cls.objects.create(
            number=change.number,
            previous_public_key=change.previous_key,
            public_key=change.new_key,
            previous_key_id=change.previous_key_id,
            key_id=change.key_id,
            head_number=change.head_number,
            tree_size=change.tree_size,
            root_hash=change.root_hash,
            timestamp_ms=change.timestamp_ms,
            signature=signed.signature,
            new_key_signature=signed.new_key_signature,
        )
        return created

    @property
    def changed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

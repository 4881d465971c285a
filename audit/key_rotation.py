"""Rotating the sequencer's signing key: the old key hands over to a new one, on record.

The hand-over is a `SigningKeyChange` (`audit.key_history`): the new public key and the
last head the old key signed, signed by the old key and by the new one. It is written in
the sequencer's own lock, so no head can slip in between the head it names and the first
head of the new key; from the next batch on the sequencer signs with the new key (which it
must hold, as `AFX_AUDIT_SIGNING_KEY_NEXT` until the next deploy makes it the current key).
Heads before stay signed by the old key, and anyone holding the first key follows the
chain of changes to every later one.

Only the shell rotates (a `SystemActor`, `manage.py audit_rotate_signing_key`): the private
keys live on the gateway's machines, never in a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.utils import timezone

from core.actors import SystemActor
from core.errors import Conflict, Forbidden

from . import signing
from .choices import AuditAction
from .head_chain import verify_link
from .head_signature import public_key_to_raw, verify_head
from .key_history import KeyChange, KeyHistory, sign_key_change
from .merkle import EMPTY_ROOT
from .models import SignedTreeHead, SigningKeyChange
from .sequencer import ADVISORY_LOCK_KEY
from .services import event_record


@dataclass(frozen=True)
class KeyRotation:
    """The key change in force after the call; `created` is False when the key was in force already."""

    change: SigningKeyChange
    created: bool


def signing_key_rotate(*, actor: Any, new_key: Ed25519PrivateKey) -> KeyRotation:
    """Hand the signing over from the key in force to `new_key`, and audit it.

    Running it again with the key it handed over to does nothing and says so (`created`
    False): a rotation retried after a lost connection must not announce the key twice, and
    the chain names each key once. Any other key used before (retired, perhaps because it
    leaked) is refused, as is a rotation while the stored chain does not verify, or from a
    process that does not hold the key in force, which must sign the hand-over.
    """
    if not isinstance(actor, SystemActor):
        raise Forbidden("The audit signing key is rotated from the gateway's shell only.")
    with transaction.atomic():
        _wait_for_sequencer()
        history = _verified_history()
        new_raw = public_key_to_raw(new_key.public_key())
        latest_change = SigningKeyChange.objects.order_by("-number").first()
        if latest_change is not None and new_raw == bytes(latest_change.public_key):
            return KeyRotation(latest_change, created=False)
        if new_raw in history.keys:
            raise Conflict(
                f"Key {signing.key_id(new_key.public_key())} is in force or was retired; a key is "
                "handed over to once, and a retired key never signs again. Generate a new key.",
                code="key_used_before",
            )
        old_key = signing.private_key_for(history.current)
        if old_key is None:
            raise Conflict(
                f"The key in force, {signing.key_id(history.current)}, is not configured here; "
                "it must sign the hand-over (AFX_AUDIT_SIGNING_KEY or AFX_AUDIT_SIGNING_KEY_NEXT).",
                code="key_not_held",
            )
        change = _key_change(history, new_raw)
        row = SigningKeyChange.stored(sign_key_change(old_key, new_key, change))
        event_record(
            actor=actor,
            action=AuditAction.SIGNING_KEY_ROTATED,
            target=row,
            details={
                "number": change.number,
                "previous_key_id": change.previous_key_id,
                "key_id": change.key_id,
                "head_number": change.head_number,
                "tree_size": change.tree_size,
            },
        )
    return KeyRotation(row, created=True)


def _wait_for_sequencer() -> None:
    """Hold the sequencer's advisory lock to the end of the transaction (PostgreSQL).

    A batch under way finishes first; batches meanwhile skip their turn, so the head the
    change names is the last one the old key signs. SQLite serialises writers anyway: a
    head committed after this transaction read makes its INSERT fail, not fork the chain.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _verified_history() -> KeyHistory:
    history, error = signing.key_history()
    if error is not None:
        raise Conflict(
            f"The stored key changes do not verify ({error}); run audit_verify before rotating.",
            code="key_history_broken",
        )
    return history


def _key_change(history: KeyHistory, new_raw: bytes) -> KeyChange:
    """The change naming the latest head, which must verify under the key in force: the old key
    vouches for the whole log so far, and must not vouch for a head it did not sign."""
    latest = SignedTreeHead.objects.order_by("-number").first()
    now_ms = int(timezone.now().timestamp() * 1000)
    if latest is None:
        head_number, tree_size, root_hash, timestamp_ms = 0, 0, EMPTY_ROOT, now_ms
    else:
        key = history.key_for_head(latest.number)
        try:
            verify_head(key, latest.head, bytes(latest.signature))
            verify_link(key, latest.number, latest.head, bytes(latest.link_signature))
        except ValueError as error:
            raise Conflict(
                f"Head {latest.number} does not verify ({error}); run audit_verify before rotating.",
                code="head_forged",
            ) from None
        head_number, tree_size, root_hash = latest.number, latest.tree_size, bytes(latest.root_hash)
        timestamp_ms = max(now_ms, latest.timestamp_ms)
    return KeyChange(
        number=len(history.changes) + 1,
        previous_key=history.keys[-1],
        new_key=new_raw,
        head_number=head_number,
        tree_size=tree_size,
        root_hash=root_hash,
        timestamp_ms=timestamp_ms,
    )

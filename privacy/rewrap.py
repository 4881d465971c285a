"""Moving every data key onto a new master key, online: `manage.py keys_rewrap`.

Only data keys are re-wrapped (a few rows), never the values they encrypt: a change of
master key costs no re-encryption. The gateway keeps serving throughout, because its
provider unwraps under the new master key and the previous one (`privacy.providers`). Each
data key is re-wrapped in its own transaction, locked, checked (it unwraps under the new key
to the same secret) and audited there; one already under the new key is skipped, so a run
cut short is finished by running it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .errors import KeyringError
from .keyring import keyring
from .models import DataKey
from .providers import load_provider
from .signals import KeyCustodyAction, key_custody_changed


@dataclass(frozen=True)
class RewrapResult:
    rewrapped: int
    already: int  # under the new master key before this run


def data_keys_rewrap(*, actor_name: str = "keys_rewrap") -> RewrapResult:
    """Re-wrap every data key (active or retired) not yet under the configured master key."""
    if not key_custody_changed.has_listeners(DataKey):
        raise KeyringError("Nothing would record the re-wrap in the audit log (is the audit app installed?).")
    provider = load_provider()
    target = provider.key_id
    pending = list(DataKey.objects.exclude(wrapped_by=target).order_by("pk").values_list("pk", flat=True))
    already = DataKey.objects.filter(wrapped_by=target).count()
    rewrapped = 0
    for pk in pending:
        with transaction.atomic():
            key = DataKey.objects.select_for_update().get(pk=pk)
            if key.wrapped_by == target:
                continue  # another run got there first
            source = key.wrapped_by
            secret = provider.unwrap(bytes(key.wrapped_key), context=key.wrap_context, key_id=source)
            wrapped = provider.wrap(secret, context=key.wrap_context)
            if provider.unwrap(wrapped, context=key.wrap_context, key_id=target) != secret:
                raise KeyringError(f"Data key {key} did not round-trip under the new master key.")
            key.wrapped_key, key.wrapped_by = wrapped, target
            key.save(update_fields=["wrapped_key", "wrapped_by"])
            key_custody_changed.send(
                sender=DataKey,
                action=KeyCustodyAction.DATA_KEY_REWRAPPED,
                key=key,
                actor_name=actor_name,
                details={"purpose": key.purpose, "version": key.version, "from": source, "to": target},
            )
            rewrapped += 1
    keyring.reset()
    return RewrapResult(rewrapped=rewrapped, already=already)


def data_keys_pending(*, target: str | None = None) -> int:
    """How many data keys are not under the configured master key yet."""
    return DataKey.objects.exclude(wrapped_by=target or load_provider().key_id).count()

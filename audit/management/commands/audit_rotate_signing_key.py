"""`manage.py audit_rotate_signing_key`: hand the audit log's signing over to a new key.

The new key is `AFX_AUDIT_SIGNING_KEY_NEXT` (or `_NEXT_FILE`), which the sequencer's
processes must already hold, or a file named with `--new-key-file` (then they must be given
it before their next batch, or they halt until they are). The command runs with the key in
force configured too, which signs the hand-over. Run with the key already handed over to,
it does nothing and says so (exit 0), so a retry is safe. See `audit.key_rotation`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import signing
from audit.head_signature import public_key_to_raw
from audit.key_rotation import signing_key_rotate
from core.actors import SystemActor
from core.errors import DomainError


class Command(BaseCommand):
    help = "Rotate the audit signing key: the key in force signs over to the next key, on record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key-file",
            type=Path,
            help="The new private key (PEM, or the seed as afx_sdk.keygen writes it); "
            "default: AFX_AUDIT_SIGNING_KEY_NEXT(_FILE).",
        )

    def handle(self, *args: Any, new_key_file: Path | None, **options: Any) -> None:
        new_key = self._new_key(new_key_file)
        try:
            rotation = signing_key_rotate(actor=SystemActor("audit_rotate_signing_key"), new_key=new_key)
        except (DomainError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        change = rotation.change
        if not rotation.created:
            self.stdout.write(
                f"Key {change.key_id} is in force already, since key change {change.number} "
                f"after head {change.head_number}; nothing done."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Key change {change.number}: key {change.previous_key_id} handed over to {change.key_id} "
                f"after head {change.head_number} ({change.tree_size} leaves); later heads are signed by "
                f"{change.key_id}."
            )
        )
        self.stdout.write(
            "Next: make the new key AFX_AUDIT_SIGNING_KEY(_FILE), drop AFX_AUDIT_SIGNING_KEY_NEXT(_FILE), "
            "restart, and keep the old key offline: it must never sign again."
        )
        if not self._sequencer_holds(new_key):
            self.stderr.write(
                "warning: the new key is not AFX_AUDIT_SIGNING_KEY_NEXT here; the sequencer halts "
                "(events wait, none is lost) until its processes are given it."
            )

    def _new_key(self, path: Path | None) -> Ed25519PrivateKey:
        try:
            key = signing.key_from_file(path) if path is not None else signing.next_signing_key()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if key is None:
            raise CommandError("Give --new-key-file or set AFX_AUDIT_SIGNING_KEY_NEXT (or _NEXT_FILE).")
        return key

    @staticmethod
    def _sequencer_holds(new_key: Ed25519PrivateKey) -> bool:
        configured = signing.next_signing_key() or signing.signing_key()
        return public_key_to_raw(configured.public_key()) == public_key_to_raw(new_key.public_key())

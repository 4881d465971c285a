"""`manage.py audit_export_heads FILE`: the audit log's key history and every signed head, for outsiders.

The file (JSON Lines) is what `python -m audit.verify_export FILE --public-key KEY.pem`
checks; `--public-key KEY.pem` also writes the first public key on its own, the file to
hand over out of band: it is the one trust anchor, and every later key follows from it
through the key changes in the export (`audit.key_history`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import selectors, signing
from audit.exporters import heads_jsonl
from audit.head_signature import load_public_key_raw, public_key_to_pem
from audit.models import SignedTreeHead


class Command(BaseCommand):
    help = "Write the audit log's signing key history and signed tree heads to a file (JSON Lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the heads export.")
        parser.add_argument("--public-key", type=Path, help="Also write the first public key (PEM) here.")

    def handle(self, *args: Any, file: str, public_key: str | None, **options: Any) -> None:
        key = signing.public_key()
        heads = selectors.heads_with_consistency(SignedTreeHead.objects.order_by("number"))
        with Path(file).open("w", encoding="utf-8") as output:
            output.writelines(heads_jsonl(heads, key))
        count = SignedTreeHead.objects.count()
        history, _ = signing.key_history()  # exported as stored; the verifier judges the chain
        first = load_public_key_raw(history.first_key)
        if public_key is not None:
            Path(public_key).write_bytes(public_key_to_pem(first))
        changes = len(history.changes)
        rotated = f", {changes} key change(s) to key {signing.key_id(history.current)}" if changes else ""
        first_id = signing.key_id(first)
        self.stdout.write(f"Wrote {count} signed heads and public key {first_id}{rotated} to {file}")

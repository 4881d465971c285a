"""`manage.py audit_export_heads FILE`: the audit public key and every signed head, for outsiders.

The file (JSON Lines) is what `python -m audit.verify_export FILE --public-key KEY.pem`
checks; `--public-key KEY.pem` also writes the key on its own, the file to hand over
out of band.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import selectors, signing
from audit.exporters import heads_jsonl
from audit.head_signature import public_key_to_pem
from audit.models import SignedTreeHead


class Command(BaseCommand):
    help = "Write the audit log's signed tree heads and public key to a file (JSON Lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the heads export.")
        parser.add_argument("--public-key", type=Path, help="Also write the public key (PEM) here.")

    def handle(self, *args: Any, file: str, public_key: str | None, **options: Any) -> None:
        key = signing.public_key()
        heads = selectors.heads_with_consistency(SignedTreeHead.objects.order_by("number"))
        with Path(file).open("w", encoding="utf-8") as output:
            output.writelines(heads_jsonl(heads, key))
        count = SignedTreeHead.objects.count()
        if public_key is not None:
            Path(public_key).write_bytes(public_key_to_pem(key))
        self.stdout.write(f"Wrote {count} signed heads and public key {signing.key_id(key)} to {file}")

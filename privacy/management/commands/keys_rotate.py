"""`manage.py keys_rotate`: add data key versions and move every stored value onto them, online."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from privacy.choices import KeyPurpose
from privacy.rotation import key_versions_add, key_versions_retire_unused, rows_pending, rows_reencrypt
from privacy.selectors import encrypted_models


class Command(BaseCommand):
    help = (
        "Add a new data key version (encryption and blind index), re-encrypt and re-index every row "
        "in batches while the gateway keeps serving, then retire versions no row needs. "
        "After a crash, run it again with --resume."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resume", action="store_true", help="Finish an interrupted rotation; add no version."
        )
        parser.add_argument("--purpose", choices=["all", *KeyPurpose.values], default="all")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--keep-old", action="store_true", help="Do not retire versions left unused.")

    def handle(
        self, *args: Any, resume: bool, purpose: str, batch_size: int, keep_old: bool, **options: Any
    ) -> None:
        targets = encrypted_models()
        pending = rows_pending(targets)
        if pending and not resume:
            raise CommandError(
                f"{pending} stored values still need an older key version: a rotation is unfinished. "
                "Run `manage.py keys_rotate --resume` first."
            )
        if not resume:
            for key in key_versions_add(purposes=KeyPurpose.values if purpose == "all" else [purpose]):
                self.stdout.write(f"Added data key {key}.")
        total = sum(model._base_manager.count() for model in targets)
        with tqdm(total=total, unit="rows", desc="keys_rotate", disable=options["verbosity"] == 0) as bar:
            result = rows_reencrypt(in_models=targets, batch_size=batch_size, progress=bar.update)
        self.stdout.write(
            f"Scanned {result.rows_scanned} rows and rewrote {result.rows_rewritten} "
            f"in {result.passes} pass(es)."
        )
        if result.remaining:
            raise CommandError(
                f"{result.remaining} values are still under an older version (written by processes with a "
                "stale keyring?). Nothing is lost; run `manage.py keys_rotate --resume`."
            )
        if not keep_old:
            for key in key_versions_retire_unused(in_models=targets):
                self.stdout.write(f"Retired data key {key}: no row needs it.")

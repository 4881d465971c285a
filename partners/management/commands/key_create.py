from typing import Any

from django.core.management.base import CommandError, CommandParser

from afx_sdk.signing import read_key_argument
from partners.management.base import RegistryCommand
from partners.services import keys


class Command(RegistryCommand):
    help = (
        "Register an adapter's Ed25519 public key for a partner and print its key id. The partner makes "
        "the pair with `python -m afx_sdk.keygen` and keeps the private key: AFX never holds one."
    )
    not_found = "No partner with that code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="The partner's code.")
        parser.add_argument("--label", default="")
        parser.add_argument(
            "--public-key",
            required=True,
            help="The adapter's public key (base64url of its raw 32 bytes), or @file to read it from.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            public_key = read_key_argument(options["public_key"]).strip()
        except OSError as error:
            raise CommandError(f"Cannot read the public key file: {error.strerror}.") from None
        key = keys.adapter_key_create(
            actor=self.actor,
            partner_code=options["partner"],
            public_key=public_key,
            label=options["label"],
        )
        self.stdout.write(self.style.SUCCESS(f"Registered key {key.key_id} for {key.partner.code}."))
        self.stdout.write(f"  AFX_KEY_ID={key.key_id}")

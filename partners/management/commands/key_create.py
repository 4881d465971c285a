from typing import Any

from django.core.management.base import CommandParser

from partners import services
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "Issue an adapter key for a partner; prints the API key and signing secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="The partner's code.")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        issued = services.adapter_key_create(
            actor=self.actor, partner=self.partner(options["partner"]), label=options["label"]
        )
        self.stdout.write(
            self.style.SUCCESS(f"Issued key {issued.key.key_id} for {issued.key.partner.code}.")
        )
        self.stdout.write("Store these now; AFX keeps only a digest of the key and cannot show them again:")
        self.stdout.write(f"  AFX_API_KEY={issued.api_key}")
        self.stdout.write(f"  AFX_SIGNING_SECRET={issued.signing_secret}")

from typing import Any

from django.core.management.base import CommandParser

from partners.management.base import RegistryCommand
from partners.services import registry


class Command(RegistryCommand):
    help = "Replace a bank's card prefixes (BINs): accounts met from now on are routed by them."
    not_found = "No partner with that code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("bins", nargs="*", help="4 to 10 digits each; none to clear them.")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = registry.partner_set_bins(actor=self.actor, code=options["code"], bins=options["bins"])
        self.stdout.write(
            self.style.SUCCESS(f"Partner {partner.code} issues {', '.join(partner.bins) or 'no BIN'}.")
        )

from typing import Any

from django.core.management.base import CommandParser

from partners.choices import PartnerStatus
from partners.management.base import RegistryCommand
from partners.services import registry


class Command(RegistryCommand):
    help = "Suspend a partner (all of its traffic stops at once), or reactivate it with --reactivate."
    not_found = "No partner with that code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--reactivate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        status = PartnerStatus.ACTIVE if options["reactivate"] else PartnerStatus.SUSPENDED
        partner = registry.partner_set_status(actor=self.actor, code=options["code"], status=status)
        self.stdout.write(self.style.SUCCESS(f"Partner {partner.code} is {partner.status}."))

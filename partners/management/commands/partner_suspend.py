from typing import Any

from django.core.management.base import CommandParser

from partners import services
from partners.choices import PartnerStatus
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "Suspend a partner (all of its traffic stops at once), or reactivate it with --reactivate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--reactivate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        status = PartnerStatus.ACTIVE if options["reactivate"] else PartnerStatus.SUSPENDED
        partner = services.partner_set_status(
            actor=self.actor, partner=self.partner(options["code"]), status=status
        )
        self.stdout.write(self.style.SUCCESS(f"Partner {partner.code} is {partner.status}."))

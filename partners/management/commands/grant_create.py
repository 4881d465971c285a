from typing import Any

from django.core.management.base import CommandParser

from partners import services
from partners.choices import RequestKind
from partners.management.base import RegistryCommand, parse_moment


class Command(RegistryCommand):
    help = (
        "Let a police unit send one request kind to one partner until an expiry (renews an existing grant)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit", help="The police unit's code.")
        parser.add_argument("partner", help="The code of the partner asked.")
        parser.add_argument("--kind", required=True, choices=RequestKind.values)
        parser.add_argument("--expires", required=True, help="ISO date-time, or days from now such as 90d.")
        parser.add_argument("--legal-basis", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        grant = services.grant_create(
            actor=self.actor,
            unit=self.partner(options["unit"]),
            partner=self.partner(options["partner"]),
            kind=options["kind"],
            expires_at=parse_moment(options["expires"]),
            legal_basis=options["legal_basis"],
        )
        self.stdout.write(
            self.style.SUCCESS(f"Grant {grant.pk}: {grant} until {grant.expires_at:%Y-%m-%d %H:%M %Z}.")
        )

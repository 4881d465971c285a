from typing import Any

from django.core.management.base import CommandParser

from core import request_kinds
from partners.management.base import RegistryCommand, parse_moment
from partners.services import grants


class Command(RegistryCommand):
    help = (
        "Let a police unit send one request kind to one partner until an expiry (renews an existing grant)."
    )
    not_found = "No partner with that code (the unit or the partner)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("unit", help="The police unit's code.")
        parser.add_argument("partner", help="The code of the partner asked.")
        parser.add_argument("--kind", required=True, choices=request_kinds.names())
        parser.add_argument("--expires", required=True, help="ISO date-time, or days from now such as 90d.")
        parser.add_argument("--legal-basis", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        grant = grants.grant_create(
            actor=self.actor,
            unit_code=options["unit"],
            partner_code=options["partner"],
            kind=options["kind"],
            expires_at=parse_moment(options["expires"]),
            legal_basis=options["legal_basis"],
        )
        self.stdout.write(
            self.style.SUCCESS(f"Grant {grant.pk}: {grant} until {grant.expires_at:%Y-%m-%d %H:%M %Z}.")
        )

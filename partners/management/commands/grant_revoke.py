from typing import Any

from django.core.management.base import CommandParser

from partners.management.base import RegistryCommand
from partners.services import grants


class Command(RegistryCommand):
    help = "Revoke a grant by its id; the unit's next request under it is refused."
    not_found = "No grant with that id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("grant_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        grant = grants.grant_revoke(actor=self.actor, grant_id=options["grant_id"])
        self.stdout.write(self.style.SUCCESS(f"Revoked grant {options['grant_id']}: {grant}."))

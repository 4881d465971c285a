from typing import Any

from django.core.management.base import CommandError, CommandParser

from partners import services
from partners.management.base import RegistryCommand
from partners.models import Grant


class Command(RegistryCommand):
    help = "Revoke a grant by its id; the unit's next request under it is refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("grant_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        grant = (
            Grant.objects.select_related("group", "permission", "content_object")
            .filter(pk=options["grant_id"])
            .first()
        )
        if grant is None:
            raise CommandError(f"No grant {options['grant_id']}.")
        description = str(grant)
        services.grant_revoke(actor=self.actor, grant=grant)
        self.stdout.write(self.style.SUCCESS(f"Revoked grant {options['grant_id']}: {description}."))

from typing import Any

from django.core.management.base import CommandParser

from partners.management.base import RegistryCommand
from partners.services import people


class Command(RegistryCommand):
    help = "Deactivate a person: no more sign-ins, and every token they hold is revoked."
    not_found = "No person with that username."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        person = people.person_deactivate(actor=self.actor, username=options["username"])
        self.stdout.write(self.style.SUCCESS(f"Deactivated {person.username}."))

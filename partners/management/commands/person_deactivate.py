from typing import Any

from django.core.management.base import CommandError, CommandParser

from partners import services
from partners.management.base import RegistryCommand
from partners.models import Person


class Command(RegistryCommand):
    help = "Deactivate a person: no more sign-ins, and every token they hold is revoked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"No person named {options['username']!r}.")
        services.person_deactivate(actor=self.actor, person=person)
        self.stdout.write(self.style.SUCCESS(f"Deactivated {person.username}."))

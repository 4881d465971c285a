from typing import Any

from django.core.management.base import CommandError, CommandParser

from partners import services
from partners.management.base import RegistryCommand
from partners.models import Person


class Command(RegistryCommand):
    help = (
        "Start a person's enrolment over (lost password or code): their password stops working, every "
        "token they hold is revoked, and a new enrolment code is printed once for them to enrol with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"]).first()
        if person is None:
            raise CommandError(f"No person named {options['username']!r}.")
        code = services.person_enrolment_reset(actor=self.actor, person=person)
        self.stdout.write(self.style.SUCCESS(f"Enrolment of {person.username} started over."))
        self.enrolment_code(code)

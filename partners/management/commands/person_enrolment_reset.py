from typing import Any

from django.core.management.base import CommandParser

from partners.management.base import RegistryCommand
from partners.services import people


class Command(RegistryCommand):
    help = (
        "Start a person's enrolment over (lost password or code): their password stops working, every "
        "token they hold is revoked, and a new enrolment code is printed once for them to enrol with."
    )
    not_found = "No person with that username."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        code = people.person_enrolment_reset(actor=self.actor, username=options["username"])
        self.stdout.write(self.style.SUCCESS(f"Enrolment of {options['username']} started over."))
        self.enrolment_code(code)

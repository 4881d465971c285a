from typing import Any

from django.core.management.base import CommandParser

from core.roles import PERSON_ROLES
from partners.management.base import RegistryCommand
from partners.services import people


class Command(RegistryCommand):
    help = (
        "Create a person of a partner in a role; prints their enrolment code once. The person sets "
        "their own password with it (POST /api/v1/auth/enrol/): nobody else ever knows it."
    )
    not_found = "No partner with that code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--partner", required=True, help="The partner's code.")
        parser.add_argument("--role", required=True, choices=[r.value for r in PERSON_ROLES])

    def handle(self, *args: Any, **options: Any) -> None:
        person, code = people.person_create(
            actor=self.actor,
            partner_code=options["partner"],
            username=options["username"],
            role=options["role"],
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created {person.role} {person.username} of {person.partner.code}.")
        )
        self.enrolment_code(code)

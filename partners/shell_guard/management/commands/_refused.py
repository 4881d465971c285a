"""The one body of both refused commands."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class RefusedCommand(BaseCommand):
    """Takes any arguments and refuses: nobody sets a credential for someone else."""

    help = (
        "Refused: AFX never sets a credential for somebody else. Use person_create or person_enrolment_reset."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("ignored", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "Refused: this command would set a password for somebody else. `manage.py person_create` "
            "(or `person_enrolment_reset`) prints an enrolment code; the person chooses their own "
            "password with it at POST /api/v1/auth/enrol/ and changes it at POST /api/v1/auth/password/."
        )

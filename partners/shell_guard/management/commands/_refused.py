"""The one body of both refused commands."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class RefusedCommand(BaseCommand):
    """Takes any arguments and refuses: nobody sets a credential for someone else."""

    help = "Refused: AFX never sets a credential for somebody else. Use person_create."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("ignored", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "Refused: this command would set a password for somebody else. New people get a one-time "
            "password from `manage.py person_create`; after that only their own sign-in counts."
        )

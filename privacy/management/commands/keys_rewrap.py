"""`manage.py keys_rewrap`: move every data key onto a new master key, while the gateway serves."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy.errors import KeyringError
from privacy.rewrap import data_keys_pending, data_keys_rewrap


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the master key now configured (AFX_MASTER_KEY or its file), "
        "unwrapping with the previous one (AFX_MASTER_KEY_PREVIOUS or its file). Resumable: run it "
        "again after a crash. With --check, only say how many data keys are still to move."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Exit 1 if any data key is still to move.")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if check:
            pending = data_keys_pending()
            if pending:
                raise CommandError(f"{pending} data key(s) are not under the configured master key yet.")
            self.stdout.write("Every data key is under the configured master key.")
            return
        try:
            result = data_keys_rewrap()
        except KeyringError as error:
            raise CommandError(
                f"{error} Set AFX_MASTER_KEY_PREVIOUS to the master key being replaced."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-wrapped {result.rewrapped} data key(s); {result.already} were under the new master "
                "key already. The previous master key may now be removed from the settings."
            )
        )

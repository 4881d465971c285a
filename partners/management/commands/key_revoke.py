from typing import Any

from django.core.management.base import CommandParser

from partners.management.base import RegistryCommand
from partners.services import keys


class Command(RegistryCommand):
    help = "Revoke an adapter key by its key id; requests signed with it are refused at once."
    not_found = "No adapter key with that key id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        key = keys.adapter_key_revoke(actor=self.actor, key_id=options["key_id"])
        self.stdout.write(self.style.SUCCESS(f"Revoked key {key.key_id} of {key.partner.code}."))

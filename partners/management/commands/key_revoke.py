from typing import Any

from django.core.management.base import CommandError, CommandParser

from partners import services
from partners.management.base import RegistryCommand
from partners.models import AdapterKey


class Command(RegistryCommand):
    help = "Revoke an adapter key by its key id; requests signed with it are refused at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        key = AdapterKey.objects.filter(key_id=options["key_id"]).first()
        if key is None:
            raise CommandError(f"No adapter key {options['key_id']!r}.")
        services.adapter_key_revoke(actor=self.actor, key=key)
        self.stdout.write(self.style.SUCCESS(f"Revoked key {key.key_id} of {key.partner.code}."))

from typing import Any

from django.core.management.base import CommandParser

from partners.choices import PushQueue
from partners.management.base import RegistryCommand
from partners.services import registry


class Command(RegistryCommand):
    help = (
        "Move a push partner's deliveries to another Celery queue: push_slow for a partner that "
        "answers in seconds (run a worker with -Q push_slow), celery for the default."
    )
    not_found = "No partner with that code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("queue", choices=PushQueue.values)

    def handle(self, *args: Any, **options: Any) -> None:
        partner = registry.partner_set_push_queue(
            actor=self.actor, code=options["code"], queue=options["queue"]
        )
        done = f"Partner {partner.code} is pushed through {partner.push_queue}."
        self.stdout.write(self.style.SUCCESS(done))

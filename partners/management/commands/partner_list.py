from typing import Any

from partners.management.base import RegistryCommand
from partners.models import Partner


class Command(RegistryCommand):
    help = "List partners with their kind, status, delivery and the request kinds they answer."

    def handle(self, *args: Any, **options: Any) -> None:
        self.table(
            ["CODE", "KIND", "STATUS", "DELIVERY", "ANSWERS", "NAME"],
            [
                [p.code, p.kind, p.status, p.delivery or "-", ",".join(p.answers) or "-", p.name]
                for p in Partner.objects.all()
            ],
        )

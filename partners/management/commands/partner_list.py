from typing import Any

from partners import selectors
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "List partners with their kind, status, delivery and the request kinds they answer."

    def handle(self, *args: Any, **options: Any) -> None:
        self.table(
            ["CODE", "KIND", "STATUS", "DELIVERY", "ANSWERS", "NAME"],
            [
                [p.code, p.kind, p.status, p.delivery or "-", ",".join(p.answers) or "-", p.name]
                for p in selectors.partner_list(actor=self.actor)
            ],
        )

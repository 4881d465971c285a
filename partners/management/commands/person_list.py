from typing import Any

from partners import selectors
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "List people with their partner, role and whether they may sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        self.table(
            ["USERNAME", "PARTNER", "ROLE", "ACTIVE"],
            [
                [p.username, p.partner.code, p.role, "yes" if p.is_active else "no"]
                for p in selectors.person_list(actor=self.actor)
            ],
        )

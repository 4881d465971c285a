from typing import Any

from partners.management.base import RegistryCommand
from partners.models import Person


class Command(RegistryCommand):
    help = "List people with their partner, role and whether they may sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        self.table(
            ["USERNAME", "PARTNER", "ROLE", "ACTIVE"],
            [
                [p.username, p.partner.code, p.role, "yes" if p.is_active else "no"]
                for p in Person.objects.select_related("partner")
            ],
        )

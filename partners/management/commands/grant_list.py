from typing import Any

from django.utils import timezone

from partners import selectors
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "List grants: which unit may send which request kind to which partner, until when."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        grants = selectors.grant_list(actor=self.actor).order_by("id")
        self.table(
            ["ID", "UNIT", "PARTNER", "KIND", "EXPIRES", "STATE", "LEGAL_BASIS"],
            [
                [
                    g.pk,
                    g.unit_code,
                    g.content_object.code,
                    g.request_kind,
                    f"{g.expires_at:%Y-%m-%d %H:%M}",
                    "active" if g.is_active_at(now) else "expired",
                    g.legal_basis or "-",
                ]
                for g in grants
            ],
        )

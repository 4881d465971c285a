from typing import Any

from partners import selectors
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = "List adapter keys by key id and public key, with their state (AFX holds no private key)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.table(
            ["KEY_ID", "PARTNER", "STATE", "CREATED", "LAST_USED", "PUBLIC_KEY", "LABEL"],
            [
                [
                    k.key_id,
                    k.partner.code,
                    "revoked" if k.is_revoked else "active",
                    f"{k.created_at:%Y-%m-%d %H:%M}",
                    f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
                    k.public_key or "-",
                    k.label or "-",
                ]
                for k in selectors.adapter_key_list(actor=self.actor)
            ],
        )

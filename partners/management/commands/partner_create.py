from typing import Any

from django.core.management.base import CommandParser

from core import request_kinds
from partners.choices import Delivery, PartnerKind
from partners.management.base import RegistryCommand
from partners.services import registry


class Command(RegistryCommand):
    help = (
        "Register a partner: a police unit, bank, payment platform, telecom, oversight body or the exchange."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Stable code, e.g. cq-afc or alipay.")
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=PartnerKind.values)
        parser.add_argument("--delivery", default="", choices=["", *Delivery.values])
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--answers", nargs="*", default=[], choices=request_kinds.names())

    def handle(self, *args: Any, **options: Any) -> None:
        partner = registry.partner_create(
            actor=self.actor,
            code=options["code"],
            name=options["name"],
            kind=options["kind"],
            delivery=options["delivery"],
            webhook_url=options["webhook_url"],
            answers=options["answers"],
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created partner {partner.code} ({partner.get_kind_display()}).")
        )

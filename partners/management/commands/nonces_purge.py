from typing import Any

from django.core.management.base import BaseCommand

from partners.replay import nonces_purge


class Command(BaseCommand):
    help = (
        "Delete remembered adapter nonces whose signatures are past the allowed skew (Celery beat "
        "runs this every five minutes); a replay of them is refused as stale."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Purged {nonces_purge()} expired nonces.")

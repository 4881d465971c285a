"""`manage.py keys_status`: each data key version, its state, and how many stored values need it."""

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand

from privacy.choices import KeyState
from privacy.models import DataKey
from privacy.selectors import encrypted_models, key_usage


class Command(BaseCommand):
    help = "Show every data key version and how many stored values need it (-v 2: per column)."

    def handle(self, *args: Any, **options: Any) -> None:
        usage = key_usage(encrypted_models())
        rows = Counter[tuple[str, int]]()
        for entry in usage:
            rows[entry.purpose, entry.version] += entry.rows
        keys = list(DataKey.objects.order_by("purpose", "version"))
        current = {key.purpose: key.version for key in keys if key.state == KeyState.ACTIVE}
        line = "{:<8} {:>7}  {:<8} {:<20} {:>10}".format
        self.stdout.write(line("purpose", "version", "state", "created", "rows"))
        for key in keys:
            state = "current" if current.get(key.purpose) == key.version else key.state
            created = key.created_at.strftime("%Y-%m-%d %H:%M:%S")
            count = rows.pop((key.purpose, key.version), 0)
            self.stdout.write(line(key.purpose, key.version, state, created, count))
        for (purpose, version), count in sorted(rows.items()):
            # Values under a version with no DataKey row: they cannot be decrypted.
            self.stdout.write(self.style.ERROR(line(purpose, version, "MISSING", "", count)))
        if options["verbosity"] >= 2:
            for entry in usage:
                where = f"{entry.model}.{entry.field}"
                self.stdout.write(f"  {where}: {entry.purpose} v{entry.version}: {entry.rows}")

"""`manage.py cases_erase_expired`: erase the personal values of cases past their retention."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from exchange.retention import cases_due, retention_period, retention_sweep


class Command(BaseCommand):
    help = (
        "Erase the personal values of cases closed longer than AFX_RETENTION_DAYS (and the watchlist "
        "rows of erased cases that left the list), each case audited; the audit log stays whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only say how many cases are due.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if dry_run:
            due = cases_due().count()
            self.stdout.write(f"{due} case(s) closed more than {retention_period().days} days ago are due.")
            return
        totals = retention_sweep()
        rows = ", ".join(f"{count} {label}" for label, count in sorted(totals.items()) if label != "cases")
        self.stdout.write(
            self.style.SUCCESS(f"Erased {totals['cases']} case(s); rows cleared: {rows or 'none'}.")
        )

"""`manage.py audit_verify`: recompute the audit tree and every signed head; exit 1 on any fault.

Meant for cron: silent but for one summary line when all is well, and on a fault it names
the first bad event or head on standard error and exits non-zero.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verification import verify_log


class Command(BaseCommand):
    help = "Recompute the audit log's Merkle tree and check every signed tree head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers", type=int, default=2, help="Processes that rehash events (PostgreSQL only)."
        )
        parser.add_argument(
            "--skip-nodes", action="store_true", help="Do not check the stored nodes proofs are served from."
        )

    def handle(self, *args: Any, workers: int, skip_nodes: bool, **options: Any) -> None:
        started = time.monotonic()
        report = verify_log(workers=workers, check_nodes=not skip_nodes)
        elapsed = time.monotonic() - started
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if not report.ok:
            for fault in report.faults:
                self.stderr.write(f"FAULT {fault.kind}: {fault.message}")
            raise CommandError(
                f"audit log verification failed with {len(report.faults)} fault(s); "
                f"first: {report.faults[0].message}"
            )
        self.stdout.write(
            f"OK: {report.leaves} events, {report.heads} signed heads and {report.key_changes} "
            f"signing key changes verified in {elapsed:.2f} s"
        )

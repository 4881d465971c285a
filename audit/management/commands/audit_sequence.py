"""`manage.py audit_sequence`: run the sequencer once, as the beat task does every two seconds.

For operators (after an outage, to catch up at once) and for demos without a beat process.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.sequencer import sequence_events


class Command(BaseCommand):
    help = "Put every committed audit event in the Merkle tree and publish signed heads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-batches", type=int, default=1000, help="Heads to publish at most.")

    def handle(self, *args: Any, max_batches: int, **options: Any) -> None:
        heads = sequence_events(max_batches=max_batches)
        if heads:
            self.stdout.write(
                f"Published heads {heads[0].number} to {heads[-1].number}; {heads[-1].tree_size} leaves"
            )
        else:
            self.stdout.write("Nothing to sequence.")

"""`manage.py data_verify`: every stored value decrypts and every blind index matches (a restore check)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from privacy.selectors import encrypted_models
from privacy.verification import data_verify


class Command(BaseCommand):
    help = (
        "Decrypt every encrypted value and recompute every blind index, printing counts only; exit 1 "
        "on any value that does not decrypt or index that would miss its row. Run it on a restored "
        "backup before trusting it, and after a change of master key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        total = sum(model._base_manager.count() for model in encrypted_models())
        with tqdm(total=total, unit="rows", desc="data_verify", disable=options["verbosity"] == 0) as bar:
            report = data_verify(batch_size=batch_size, progress=bar.update)
        summary = (
            f"{report.rows} rows: {report.values} values decrypted, {report.indexes} blind indexes matched"
        )
        for fault in report.faults:
            self.stderr.write(fault)
        if not report.ok:
            raise CommandError(
                f"{summary}; {report.fault_count} fault(s), the first {len(report.faults)} shown."
            )
        self.stdout.write(self.style.SUCCESS(f"{summary}; no fault."))

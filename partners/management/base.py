"""What every registry command shares: it acts as `system:<command>`, hands the codes it was
given to a service (which resolves them, as for any caller), and a refusal from the service
becomes a clean `CommandError` (exit status 1) instead of a traceback."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.actors import SystemActor
from core.errors import DomainError, NotFound
from partners.enrolment import enrolment_notice


class RegistryCommand(BaseCommand):
    # What a not-found means to the person at the shell: which argument named nothing.
    not_found = "Not found."

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except NotFound:
            raise CommandError(self.not_found) from None
        except DomainError as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
            raise CommandError(f"{error.message} {details}".strip()) from None

    @property
    def actor(self) -> SystemActor:
        return SystemActor(self.__module__.rsplit(".", 1)[-1])

    def enrolment_code(self, code: str) -> None:
        """Print a new enrolment code, once: the person sets their own password with it.

        Whole, both halves one after the other: the shell is trusted (it holds the database
        key), so there is no split custody here, unlike for an administrator in the admin."""
        self.stdout.write(f"Enrolment code: {code}")
        self.stdout.write(enrolment_notice())

    def table(self, header: list[str], rows: list[list[object]]) -> None:
        """Print rows as aligned columns, header first."""
        cells = [header, *[[str(c) for c in row] for row in rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        for row in cells:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )


def parse_moment(value: str) -> datetime:
    """An ISO date-time, or a number of days from now such as `90d`."""
    if value.endswith("d") and value[:-1].isdigit():
        return timezone.now() + timedelta(days=int(value[:-1]))
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"Not a date-time or a number of days: {value!r}.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

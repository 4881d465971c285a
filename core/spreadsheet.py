"""CSV cells a spreadsheet will not run: every CSV export (the audit log, a trace's case file)
writes its cells through `spreadsheet_safe`."""

from __future__ import annotations

# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet would evaluate prefixed with an apostrophe; None as an empty cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value

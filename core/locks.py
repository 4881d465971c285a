"""One way to serialize an act across processes until its transaction ends.

On PostgreSQL a transaction-level advisory lock, keyed by a name and the parts that say what
is locked (hashed, so a key derived from a blind index reveals nothing); it is released when
the transaction commits or rolls back. SQLite's IMMEDIATE transactions serialize writers
anyway, so there it does nothing. Call it inside `transaction.atomic()`.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def transaction_lock(name: str, *parts: bytes | str | int) -> None:
    """Wait for, then hold until the transaction ends, the lock named by `name` and `parts`."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(name.encode())
    for part in parts:
        digest.update(b"\0" + (part if isinstance(part, bytes) else str(part).encode()))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest.digest()[:8], "big", signed=True)]
        )

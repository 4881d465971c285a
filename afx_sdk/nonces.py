"""Where a push receiver remembers the nonces it accepted, so that a captured push is refused.

A `NonceStore` is anything with `add(key, expires_at) -> bool`: True if `key` is new (and is
now remembered until `expires_at`, a `time.time()` value), False if it was seen before and
has not expired. `MemoryNonceStore`, the default, serves ONE process only: under a server
with several worker processes (gunicorn `-w 4`) a push replayed to another worker would be
accepted. Such a receiver must pass a store all its processes share: `SQLiteNonceStore` on a
local file (one host), or its own over the adapter's database or Redis (`SET key 1 NX EXAT`).
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol


class NonceStore(Protocol):
    def add(self, key: str, expires_at: float) -> bool:
        """Remember `key` until `expires_at`; False if it is already remembered."""
        ...


class MemoryNonceStore:
    """Nonces in this process's memory. Entries leave by age only, never because others
    arrived, so nothing is forgotten within its window (unlike a size-bounded cache); the
    size is bounded by the push rate times the window.

    Entries do not arrive in expiry order (a push expires a window after it was signed, not
    after it arrived), so they leave through a heap ordered by expiry: every expired entry
    goes at the next `add`, whatever arrived before it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []  # a heap; one item per entry of `_expiry`

    def add(self, key: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            while self._by_expiry and self._by_expiry[0][0] <= now:
                _, expired = heapq.heappop(self._by_expiry)
                del self._expiry[expired]
            if key in self._expiry:
                return False
            self._expiry[key] = expires_at
            heapq.heappush(self._by_expiry, (expires_at, key))
            return True


class SQLiteNonceStore:
    """Nonces in an SQLite file, shared by every process on one host that opens the same path.

    The primary key makes the check and the record one atomic insert between processes; an
    expired row is replaced in the same statement, and expired rows are purged now and then.
    """

    PURGE_EVERY = 1000  # inserts between purges

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._inserts = 0
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS nonce (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)"
        )

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def add(self, key: str, expires_at: float) -> bool:
        now = time.time()
        db = self._connection()
        # Insert, or take over a row that expired; a live row makes this change nothing.
        changed = db.execute(
            "INSERT INTO nonce (key, expires_at) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE nonce.expires_at <= ?",
            (key, expires_at, now),
        ).rowcount
        with self._lock:
            self._inserts += 1
            purge = self._inserts % self.PURGE_EVERY == 0
        if purge:
            db.execute("DELETE FROM nonce WHERE expires_at <= ?", (now,))
        return changed == 1

"""Rate-limit counters every server process on one machine shares: a SQLite file.

``tryon serve`` runs several worker processes; counters kept in each
process's memory let a client spend the budget once per worker (two
workers: twice the documented limit). Without Redis (``redis://`` in
``$TRYON_RATELIMIT_STORAGE``, for several machines), the counters live in a
small SQLite file beside the data (``tryon-sqlite:///path/to/file``), which
all workers of the machine open: the limit enforced is the limit documented.

Fixed windows, as flask-limiter counts by default: a counter is a key, a
count and the moment its window ends. One ``INSERT ... ON CONFLICT``
statement counts a hit atomically across processes (SQLite serialises
writers). The file is a cache: WAL journal, no fsync (a lost count after a
power cut costs nothing), expired rows swept now and then.
(limits ships no SQLite storage; its own ``memory://`` is per process.)
"""

from __future__ import annotations

import sqlite3
import threading
import time

from limits.storage import Storage

SWEEP_EVERY_HITS = 1000
_SCHEMA = ("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, "
           "window_end REAL NOT NULL) WITHOUT ROWID")
_HIT = ("INSERT INTO counters (key, count, window_end) VALUES (?1, ?2, ?3 + ?4) "
        "ON CONFLICT (key) DO UPDATE SET "
        "count = CASE WHEN window_end <= ?3 THEN ?2 ELSE count + ?2 END, "
        "window_end = CASE WHEN window_end <= ?3 THEN ?3 + ?4 ELSE window_end END "
        "RETURNING count")


class SQLiteCounters(Storage):
    """``tryon-sqlite:///absolute/path/to/counters.sqlite3``: counters shared by every
    process that opens the file. One connection per process, used under a lock."""

    STORAGE_SCHEME = ["tryon-sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = (uri or "").removeprefix("tryon-sqlite://")
        if not path.startswith("/"):
            raise ValueError(f"a tryon-sqlite storage URI names an absolute file: {uri!r}")
        # autocommit (isolation_level None): each statement is its own transaction
        self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._hits = 0

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._lock:
            (count,) = self._db.execute(_HIT, (key, amount, time.time(), expiry)).fetchone()
            self._hits += 1
            if self._hits % SWEEP_EVERY_HITS == 0:
                self._db.execute("DELETE FROM counters WHERE window_end <= ?", (time.time(),))
        return int(count)

    def get(self, key: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT count FROM counters WHERE key = ? AND window_end > ?",
                                   (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        with self._lock:
            row = self._db.execute("SELECT window_end FROM counters WHERE key = ?",
                                   (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        with self._lock:
            return self._db.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM counters WHERE key = ?", (key,))

"""Login-limit counters in a small SQLite file, shared by every worker process of one machine.

Flask-Limiter's in-memory counters are per process: with several worker processes each would count
failed logins on its own. One box needs no Redis for a shared count: this storage keeps the
counters in a file beside the portal's database (``sqlite:///<path>``, the same form as the
database URL), for the limiter's fixed-window strategy. Several machines share Redis instead
(``PORTAL_RATELIMIT_STORAGE=redis://…``).

Counters are not business data: the file is not the portal's database, has no migrations and is
left out of backups; deleting it only forgets the current windows.
"""
import sqlite3
import threading
import time

from limits.storage import Storage

from portal.database import switch_to_wal

SCHEME = "sqlite"
_TABLE = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires_at REAL NOT NULL)"
)


def path_of(uri: str) -> str:
    """The file of ``sqlite:///<path>`` (``sqlite:////abs/file`` is absolute, as for SQLAlchemy)."""
    prefix = f"{SCHEME}:///"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        raise ValueError(f"expected {prefix}<path>, got {uri!r}")
    return uri[len(prefix):]


class SQLiteStorage(Storage):
    """Fixed-window counters: ``incr`` opens a window of ``expiry`` seconds on a key's first hit and
    adds to it until it ends; an ended window counts as 0. Each thread has its own connection."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_of(uri)
        self._local = threading.local()

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # Autocommit mode: each change below is its own short transaction, or an explicit
            # BEGIN IMMEDIATE where it reads before it writes.
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            switch_to_wal(connection)  # retried while another thread or worker switches the new file too
            connection.execute(_TABLE)
            self._local.connection = connection
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
            (hits,) = connection.execute(
                "INSERT INTO counters (key, hits, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET hits = hits + excluded.hits RETURNING hits",
                (key, amount, now + expiry),
            ).fetchone()
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return hits

    def _live(self, key: str):
        return self._connection().execute(
            "SELECT hits, expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()

    def get(self, key: str) -> int:
        row = self._live(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))

"""Engine behaviour shared by every request and command.

SQLite: WAL so readers run beside one writer, foreign keys on, a busy timeout, and write
transactions opened with ``BEGIN IMMEDIATE`` — with a plain deferred ``BEGIN`` a transaction that
reads and then writes fails with SQLITE_BUSY under concurrent writers whatever the timeout.
"""
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Reads map the database file instead of copying its pages into each connection's own cache (2 MB):
# every commit of another connection empties that cache in WAL mode, so under a day's writes most
# reads started cold and copied the same pages again (the customer search 5.8 → 4.1 ms in-process on
# the large data set, bench/README.md). SQLite caps it at its compile-time maximum; pages beyond are
# read as before.
SQLITE_MMAP_BYTES = 2 << 30
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
SQLITE_OPTIMIZE_EVERY_SECONDS = 3600
_last_sqlite_optimize = {"at": float("-inf")}


def switch_to_wal(cursor, attempts: int = 200, pause: float = 0.01) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection switches the same file.

    SQLite answers "database is locked" at once, without waiting out the busy timeout, when two
    connections change a file's journal mode together: the first connections of several threads or
    worker processes to a file not yet in WAL mode (a new one, or one ``flask restore`` just put
    back, which leaves it in DELETE mode; the login limits' new counter file). Each retry is short
    and the loop is bounded."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if attempt == attempts - 1 or "locked" not in str(error) and "busy" not in str(error):
                raise
            time.sleep(pause)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


# One gate per SQLite file and process: writers of this process queue on it before BEGIN IMMEDIATE.
# SQLite's own busy handler sleeps between retries (up to 100 ms a time), so under a few
# concurrent writers a save waited for a lock that had long been free (p95 0.8 s with ten users
# on the load test); a lock wakes the next writer as soon as the previous one commits. Writers in
# other processes still meet SQLite's lock and its busy timeout.
_write_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()
_held_gates = threading.local()
_reading_only = threading.local()


def holds_sqlite_write_gate() -> bool:
    """Whether this thread has a SQLite write transaction open (so another connection of this
    thread that wants to write would wait for itself)."""
    return getattr(_held_gates, "count", 0) > 0


@contextmanager
def read_only_transaction(session):
    """The statements inside run in a plain (deferred) transaction even in a request that may write,
    and that transaction ends on leaving, so what follows opens its own (a write one on SQLite).

    For checks that take long and write nothing: a login's password hash (scrypt, tens of
    milliseconds of CPU) checked inside the login's write transaction held SQLite's one write lock
    all that time, and a burst of logins (200 people at nine o'clock) queued past the busy timeout
    and answered 500. A transaction the request opened before (its first checks) is committed on
    entering; anything written inside is rolled back.
    """
    session.commit()
    _reading_only.active = True
    try:
        yield
    finally:
        _reading_only.active = False
        session.rollback()


def keep_loaded_after_commit(session) -> None:
    """For a request that may write (``before_request``): its session keeps what it loaded when it
    commits, instead of expiring it.

    With expiry, whatever a save read after its commit (the new record's id for the redirect, the
    customer's name in the message) was loaded again in a second transaction, which in such a
    request is a write one: on SQLite it queued for the write lock behind the other writers. Now a
    save that redirects runs one transaction (bench/README.md, Load). What the save wrote through
    the ORM is what it holds; a row changed by a bulk statement must be expired by whoever changed
    it, as ``portal.audit.expire_loaded`` does. ``end_request_keeping`` puts expiry back."""
    if request.method not in READ_ONLY_METHODS:
        session().expire_on_commit = False


def end_request_keeping(session) -> None:
    """``teardown_request``: commits after the request (commands, tests) expire again."""
    if session.registry.has():
        session().expire_on_commit = True


def _write_gate(connection) -> threading.Lock:
    key = str(connection.engine.url.database)
    with _gates_lock:
        return _write_gates.setdefault(key, threading.Lock())


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection):
    if connection.dialect.name != "sqlite":
        return
    # Page views only read, so they need no write lock; anything else may write, and so may a
    # connection a page view opens with ``execution_options(writes=True)`` for one short update.
    reads_only = has_request_context() and request.method in READ_ONLY_METHODS or getattr(_reading_only, "active", False)
    if reads_only and not connection.get_execution_options().get("writes"):
        connection.exec_driver_sql("BEGIN")
        return
    gate = _write_gate(connection)
    if not gate.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked (waited for this process's other writers)")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        gate.release()
        raise
    connection.info["sqlite_write_gate"] = gate
    _held_gates.count = getattr(_held_gates, "count", 0) + 1


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _open_the_write_gate(connection):
    gate = connection.info.pop("sqlite_write_gate", None)
    if gate is not None:
        _held_gates.count = max(0, getattr(_held_gates, "count", 0) - 1)
        gate.release()


@event.listens_for(Engine, "checkin")
def _optimize_sqlite_now_and_then(dbapi_connection, _record):
    """Keep the query planner's statistics fresh: SQLite has no autovacuum to do it.

    Without statistics the planner picked a department's 25,000 customers over the contacts'
    birthday index for My day (92 ms); with them the same query took 4 ms. A database never
    analysed gets a full ``ANALYZE`` once (0.9 s at 100,000 customers); after that, hourly
    ``PRAGMA optimize`` re-analyses only the tables that grew.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    now = time.monotonic()
    if now - _last_sqlite_optimize["at"] < SQLITE_OPTIMIZE_EVERY_SECONDS:
        return
    _last_sqlite_optimize["at"] = now
    try:
        analysed = dbapi_connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).fetchone()
        dbapi_connection.execute("PRAGMA optimize" if analysed else "ANALYZE")
    except sqlite3.Error:
        pass  # best effort: a busy database is optimised an hour later


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC without a zone on every engine and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)

"""Recording reads in the access log (访问日志) and pruning it; the list and the alerts are the
access_log area's.

``record_access(kind, ...)`` adds one row for the signed-in user — who, when (the company's day),
from which address, what. A customer page does not wait for the database: the row is kept in this
process's buffer and written, with the other rows waiting, in one INSERT on a connection of its
own by a background thread — once ``FLUSH_ROWS`` rows wait, or ``ACCESS_LOG_FLUSH_SECONDS`` (1 s)
after the first. An export (``at_once=True``) writes the buffer and its own row before it answers.
Reads that must see every row (the log's list and export, the alerts on My day) write the buffer
first; rows buffered by the server's other worker processes reach them within about a second.
A failed write (a locked SQLite file, a lost connection) puts the rows back, in order, for the next
write; the rows still waiting are written when the process exits normally (``atexit``).
Exports are recorded by ``portal.exporting`` itself; customer pages by the customer area.
"""
import atexit
import logging
import os
import threading
import time
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from portal.company_settings import SettingDefinition, get_setting, register_setting
from portal.database import holds_sqlite_write_gate, utcnow
from portal.extensions import db
from portal.models.access_log import AccessLogEntry
from portal.rules.followups import company_today

ACCESS_LOG = _l("Access log and exports")
KEEP_DAYS = register_setting(SettingDefinition(
    "access_log.keep_days", _l("Days the access log is kept"), kind="int", default=365, minimum=30, maximum=3650,
    group=ACCESS_LOG,
))
EXPORT_ROWS_ALERT = register_setting(SettingDefinition(
    "access_log.export_rows_alert", _l("Alert when a person exports more rows in a day than"), kind="int", default=0,
    minimum=0, maximum=10_000_000, group=ACCESS_LOG,
    hint=_l("0: three times the person's own daily median of the last 30 days, at least 100."),
))
PAGE_VIEWS_ALERT = register_setting(SettingDefinition(
    "access_log.page_views_alert", _l("Alert when a person opens more customer pages in a day than"), kind="int",
    default=0, minimum=0, maximum=1_000_000, group=ACCESS_LOG,
    hint=_l("0: three times the person's own daily median of the last 30 days, at least 100."),
))


def _address() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


FLUSH_ROWS = 50  # rows waiting that start a write at once
FLUSH_SECONDS = 1.0  # the longest a row waits (ACCESS_LOG_FLUSH_SECONDS; 0: only when asked, as in the tests)
MAX_WAITING_ROWS = 10_000  # beyond this (the writer failing) a page tries the write itself
EXIT_ATTEMPTS = 5  # writes tried at process exit, half a second apart

log = logging.getLogger(__name__)


class AccessLogBuffer:
    """The rows of one process waiting to be written, and the thread that writes them."""

    def __init__(self, engine, seconds: float):
        self.engine = engine
        self.seconds = seconds
        self.pid = os.getpid()
        self.rows: list[dict] = []
        self._rows_lock = threading.Lock()  # guards ``rows``
        self._write_lock = threading.Lock()  # one write at a time, so ids follow the order of the views
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.close)

    def add(self, row: dict) -> int:
        """Keep ``row``; the number of rows now waiting."""
        with self._rows_lock:
            self.rows.append(row)
            waiting = len(self.rows)
        if self._thread is None and self.seconds:
            self.start()
        if waiting >= FLUSH_ROWS:
            self._wake.set()
        return waiting

    def discard(self, row: dict) -> None:
        """Forget ``row`` if it still waits (a read that was refused after all)."""
        with self._rows_lock:
            self.rows = [waiting for waiting in self.rows if waiting is not row]

    def start(self, seconds: float | None = None) -> None:
        """Start the background writer (every ``seconds``, or as soon as ``FLUSH_ROWS`` wait)."""
        with self._rows_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if seconds is not None:
                self.seconds = seconds
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.seconds)
            self._wake.clear()
            if not self._stop.is_set():
                self.flush()

    def flush(self, raise_errors: bool = False) -> int:
        """Write every waiting row in one INSERT on a connection of its own; the number written.
        On failure the rows go back, before any added since, and are written by the next flush."""
        if holds_sqlite_write_gate():
            # This thread's request is writing to the SQLite file: another connection of the same
            # thread would wait for it. The background writer writes the rows instead.
            return 0
        with self._write_lock:
            with self._rows_lock:
                rows, self.rows = self.rows, []
            if not rows:
                return 0
            try:
                written = _write(self.engine, rows)
            except Exception:
                with self._rows_lock:
                    self.rows[:0] = rows
                if raise_errors:
                    raise
                log.warning("access log: %d rows not written yet, kept for the next write", len(rows), exc_info=True)
                return 0
            return written

    def close(self) -> None:
        """At exit: stop the writer and write what waits, trying again while the database is locked."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if self.pid != os.getpid():
            return  # a forked child's copy: these rows are the parent's to write
        for attempt in range(EXIT_ATTEMPTS):
            if not self.rows:
                return
            if self.flush() or not self.rows:
                return
            time.sleep(0.5)
        log.error("access log: %d rows could not be written at exit", len(self.rows))


def _write(engine, rows: list[dict]) -> int:
    """INSERT ``rows`` in one statement (one executemany) and commit; a row the database refuses
    for itself (its user gone) is logged and left out, so it cannot hold back the others."""
    try:
        _insert(engine, rows)
        return len(rows)
    except IntegrityError:
        if len(rows) == 1:
            log.error("access log: row refused by the database, not written: %r", rows[0], exc_info=True)
            return 0
    written = 0
    for row in rows:
        written += _write(engine, [row])
    return written


def _insert(engine, rows: list[dict]) -> None:
    # ``writes``: on SQLite even from a page view the connection takes the write lock at BEGIN
    # (BEGIN IMMEDIATE behind this process's write gate), so a busy file is waited for.
    with engine.connect().execution_options(writes=True) as connection, connection.begin():
        connection.execute(insert(AccessLogEntry.__table__), rows)


_buffers_lock = threading.Lock()


def access_log_buffer(app=None) -> AccessLogBuffer:
    """This process's buffer for ``app`` (the current app); a new one in a forked worker process."""
    app = app or current_app._get_current_object()
    buffer = app.extensions.get("access_log_buffer")
    if buffer is None or buffer.pid != os.getpid():
        with _buffers_lock:
            buffer = app.extensions.get("access_log_buffer")
            if buffer is None or buffer.pid != os.getpid():
                seconds = app.config.get("ACCESS_LOG_FLUSH_SECONDS", FLUSH_SECONDS)
                buffer = app.extensions["access_log_buffer"] = AccessLogBuffer(db.engine, float(seconds or 0))
    return buffer


def record_access(kind: str, *, target: str = "", record_id: int | None = None, filters: str = "",
                  row_count: int | None = None, user=None, at_once: bool = False) -> None:
    """Add one row to the access log for ``user`` (the signed-in user): kept in the buffer, or
    written now with every row waiting when ``at_once`` (an export, which fails rather than hand
    out a file the log does not hold). A page finding the buffer full (the writer failing for
    minutes) tries the write itself, and answers even when that fails too."""
    user = user or current_user
    buffer = access_log_buffer()
    row = {
        "created_at": utcnow(), "day": company_today(), "user_id": user.id, "department_id": user.department_id,
        "kind": kind, "target": target[:200], "record_id": record_id, "filters": filters[:500],
        "row_count": row_count, "address": _address(),
    }
    waiting = buffer.add(row)
    if at_once:
        try:
            buffer.flush(raise_errors=True)
        except Exception:
            buffer.discard(row)  # the export is refused: nothing was read
            raise
    elif waiting > MAX_WAITING_ROWS:
        buffer.flush()


def flush_access_log() -> int:
    """Write the rows waiting in this process, for a read that must see them; the number written.
    A failure is logged and the rows kept: the read shows the log as far as it was written.
    On SQLite an unchanged session's transaction is ended first (its objects kept as loaded): a read
    transaction begun before the write would not see the new rows, and a write transaction (a
    command's, a test's) holds the lock the write needs."""
    buffer = current_app.extensions.get("access_log_buffer")
    if buffer is None or buffer.pid != os.getpid() or not buffer.rows:
        return 0
    session = db.session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted) \
            and session.get_bind().dialect.name == "sqlite":
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit
    return buffer.flush()


def prune_access_log(days: int | None = None) -> int:
    """Delete the rows older than ``days`` (the setting's days by default); the number deleted."""
    days = days or get_setting(KEEP_DAYS.key)
    cutoff = company_today() - timedelta(days=days)
    result = db.session.execute(delete(AccessLogEntry).where(AccessLogEntry.day < cutoff))
    db.session.commit()
    return result.rowcount

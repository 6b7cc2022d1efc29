"""Work that outlives its request (a large import), run by a thread the app starts: no extra server
to install. The work records its progress and outcome in its own database row, so any request —
a progress bar polling, a reload after the browser closed — reads where it stands.

The thread keeps its database transactions short (read, compute outside a transaction, write),
so other users' saves never wait behind it for long.

A thread dies with its process (a restart, a deploy, a killed worker), so each run stamps its job
row with an owner (``host:pid:random``) and refreshes the row's heartbeat while it works
(``Heartbeat``, at most every JOB_HEARTBEAT_SECONDS). A row still marked as working whose heartbeat
is older than JOB_STALE_AFTER_SECONDS belongs to a run that is gone. Every write of a run is
conditional on its owner still being the row's owner, so a run that was given up for dead and
started again never writes beside the new one.
"""
import logging
import os
import secrets
import socket
import threading
import time
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import update

from portal.database import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
_running: list[threading.Thread] = []
_lock = threading.Lock()


class JobLost(RuntimeError):
    """The job row no longer belongs to this run (it was seen as interrupted, or another run has it)."""


def new_owner() -> str:
    """Who runs a job: this host and process, and a random id for this one run."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(8)}"


def heartbeat_seconds() -> float:
    return float(current_app.config["JOB_HEARTBEAT_SECONDS"])


def stale_after_seconds() -> float:
    return float(current_app.config["JOB_STALE_AFTER_SECONDS"])


@contextmanager
def own_transaction():
    """A short transaction on a connection of its own, beside the session's (also from a page view,
    which otherwise only reads)."""
    with db.engine.connect() as connection:
        connection.execution_options(writes=True)
        with connection.begin():
            yield connection


class Heartbeat:
    """Call it often from the running work (a progress callback): at most every
    JOB_HEARTBEAT_SECONDS it stamps the job row's ``heartbeat_at`` in a transaction of its own, on
    condition that the row is still this run's and in one of ``states``; raises ``JobLost`` when it
    is not.

    On SQLite, while the session has a transaction open the run holds the database's write lock:
    that is its sign of life (no one can mark the row meanwhile), and a second connection would
    only wait for the lock the run itself holds, so the stamp is left for later."""

    def __init__(self, table, job_id: int, owner: str, states: tuple[str, ...]):
        self.table, self.job_id, self.owner, self.states = table, job_id, owner, states
        self.interval = heartbeat_seconds()
        self._last = time.monotonic()

    def __call__(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
            return
        table = self.table
        with own_transaction() as connection:
            result = connection.execute(
                update(table).where(table.c.id == self.job_id, table.c.owner == self.owner, table.c.status.in_(self.states))
                .values(heartbeat_at=utcnow())
            )
        if result.rowcount != 1:
            raise JobLost(f"job {self.job_id} is no longer run by {self.owner}")
        self._last = now


def start(name: str, work, *args) -> threading.Thread:
    """Run ``work(*args)`` in a daemon thread inside an app context of the current app."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                work(*args)
            except JobLost:
                log.warning("background job %s stopped: another run has its job", name)
                db.session.rollback()
            except Exception:  # the work records its own failure; this is the last resort
                log.exception("background job %s failed", name)
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=f"job-{name}", daemon=True)
    with _lock:
        _running[:] = [t for t in _running if t.is_alive()]
        _running.append(thread)
    thread.start()
    return thread


def wait_for_all(timeout: float = 60) -> bool:
    """Wait until every started job has finished (tests and the benchmark); False on timeout."""
    with _lock:
        threads = list(_running)
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)

"""Work that outlives its request (a large import), run by a thread the app starts: no extra server
to install. The work records its progress and outcome in its own database row, so any request —
a progress bar polling, a reload after the browser closed — reads where it stands.

The thread keeps its database transactions short (read, compute outside a transaction, write),
so other users' saves never wait behind it for long.
"""
import logging
import threading

from flask import current_app

from portal.extensions import db

log = logging.getLogger(__name__)
_running: list[threading.Thread] = []
_lock = threading.Lock()


def start(name: str, work, *args) -> threading.Thread:
    """Run ``work(*args)`` in a daemon thread inside an app context of the current app."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                work(*args)
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

"""Report figures kept for a short while (the team's performance page, the lost-order analysis).

What is kept is the computed figures (plain data, never HTML: pages carry CSRF tokens and the
user's name), under a key of (report, the user's scope, the arguments, the language), for
``FIGURES_CACHE_SECONDS`` (a setting, ``PORTAL_FIGURES_CACHE_SECONDS``, 300 by default; 0 turns
keeping off). A page built from kept figures says when they were computed ("Figures as of
HH:MM · Refresh"); Refresh (``?refresh=1``) computes them again and keeps the new ones.

The scope is part of every key, so a head never sees figures computed for another department.

Each worker process keeps its own figures (gunicorn's workers share no memory): two requests
served by different workers may show figures of different moments, each saying its own time.
A hand-written dictionary rather than a library: it holds live Python objects without pickling
them, and is bounded (the oldest entries go first).
"""
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Callable

from flask import current_app, request

from portal.database import utcnow

MAX_ENTRIES = 256
_lock = threading.Lock()


class Figures:
    """Figures and the moment (UTC) they were computed."""

    def __init__(self, value, computed_at: datetime):
        self.value, self.computed_at = value, computed_at


def _store() -> OrderedDict:
    state = current_app.extensions.setdefault("portal_state", {})
    return state.setdefault("figures_cache", OrderedDict())


def refresh_asked() -> bool:
    return request.args.get("refresh") == "1"


def cached_figures(report: str, scope: tuple, arguments: tuple, compute: Callable[[], object],
                   refresh: bool | None = None) -> Figures:
    """The figures of ``report`` for ``scope`` (who may see them: role, department, user) and
    ``arguments`` (the period…) in the request's language: kept ones younger than the setting,
    or ``compute()`` run now (always when ``refresh``) and kept."""
    from flask_babel import get_locale

    seconds = current_app.config.get("FIGURES_CACHE_SECONDS", 300)
    key = (report, tuple(scope), tuple(arguments), str(get_locale()))
    refresh = refresh_asked() if refresh is None else refresh
    now = time.monotonic()
    store = _store()
    if seconds > 0 and not refresh:
        with _lock:
            entry = store.get(key)
            if entry is not None and now - entry[0] < seconds:
                store.move_to_end(key)
                return Figures(entry[2], entry[1])
    computed_at = utcnow()
    value = compute()
    if seconds > 0:
        with _lock:
            store[key] = (now, computed_at, value)
            store.move_to_end(key)
            while len(store) > MAX_ENTRIES:
                store.popitem(last=False)
    return Figures(value, computed_at)

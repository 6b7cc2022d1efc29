"""The login limit's SQLite storage: fixed windows, shared by every connection to one file."""
import threading

import pytest

from portal import ratelimit_storage
from portal.ratelimit_storage import SQLiteStorage, path_of


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_000_000.0}
    monkeypatch.setattr(ratelimit_storage.time, "time", lambda: now["t"])
    return now


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'limits.db'}"


def test_hits_add_up_within_the_window_and_start_again_after_it(url, clock):
    storage = SQLiteStorage(url)
    assert [storage.incr("login/liu", 300) for _ in range(3)] == [1, 2, 3]
    assert storage.get("login/liu") == 3
    assert storage.get_expiry("login/liu") == clock["t"] + 300
    clock["t"] += 299
    assert storage.incr("login/liu", 300, amount=2) == 5  # the window opened by the first hit
    clock["t"] += 1
    assert storage.get("login/liu") == 0
    assert storage.get_expiry("login/liu") == clock["t"]
    assert storage.incr("login/liu", 300) == 1
    assert storage.get_expiry("login/liu") == clock["t"] + 300


def test_keys_count_apart_and_clear_and_reset_forget_them(url, clock):
    storage = SQLiteStorage(url)
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.incr("b", 60)
    assert (storage.get("a"), storage.get("b"), storage.get("never")) == (1, 2, 0)
    storage.clear("b")
    assert (storage.get("a"), storage.get("b")) == (1, 0)
    assert storage.reset() == 1
    assert storage.get("a") == 0
    assert storage.check()


def test_two_storages_on_one_file_share_their_counts(url):
    """What two worker processes do: each opens the file itself, no memory is shared."""
    first, second = SQLiteStorage(url), SQLiteStorage(url)
    first.incr("login/liu", 300)
    second.incr("login/liu", 300)
    assert first.get("login/liu") == second.get("login/liu") == 2


def test_hits_from_many_threads_are_all_counted(url):
    storage = SQLiteStorage(url)

    def hit():
        for _ in range(25):
            storage.incr("login/liu", 300)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert storage.get("login/liu") == 200


def test_a_file_another_connection_is_preparing_is_waited_for(url, monkeypatch):
    """SQLite refuses at once, without its busy timeout, a journal-mode switch that races another
    connection's on a new file: the first hit retries instead of failing the login."""
    refusals = {"left": 3}
    real_connect = ratelimit_storage.sqlite3.connect

    class RacingConnection:
        def __init__(self, *args, **kwargs):
            self._connection = real_connect(*args, **kwargs)

        def execute(self, sql, *params):
            if sql.startswith("PRAGMA journal_mode") and refusals["left"]:
                refusals["left"] -= 1
                raise ratelimit_storage.sqlite3.OperationalError("database is locked")
            return self._connection.execute(sql, *params)

    monkeypatch.setattr(ratelimit_storage.sqlite3, "connect", RacingConnection)
    storage = SQLiteStorage(url)
    assert storage.incr("login/liu", 300) == 1
    assert refusals["left"] == 0
    assert storage.get("login/liu") == 1


@pytest.mark.parametrize("bad", ["sqlite://", "sqlite:///", "redis://x", "/tmp/limits.db"])
def test_a_storage_url_without_a_file_is_refused(bad):
    with pytest.raises(ValueError):
        path_of(bad)


def test_the_url_names_the_file_as_a_database_url_does():
    assert path_of("sqlite:////srv/portal/instance/login-limits.db") == "/srv/portal/instance/login-limits.db"
    assert path_of("sqlite:///instance/login-limits.db") == "instance/login-limits.db"

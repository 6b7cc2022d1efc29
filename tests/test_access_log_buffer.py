"""The access log's buffer: a customer page view is kept in the worker process and written, with
the other rows waiting, in one INSERT by a background writer, by a read that needs it (the log's
list, My day's alerts), by an export, or at the process's exit — exactly once, and a failed write
neither breaks a page nor loses a row."""
import http.client
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import portal.access_log as access_log
from conftest import login_as
from customer_factories import new_customer
from followups_factories import make_team
from portal import create_app
from portal.extensions import db
from portal.models import AccessLogEntry
from portal.models.access_log import CUSTOMER_PAGE, EXPORT


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _rows() -> list[tuple]:
    """What the table holds now (no flush): (kind, record_id) in id order."""
    db.session.commit()
    rows = [tuple(row) for row in db.session.execute(select(AccessLogEntry.kind, AccessLogEntry.record_id).order_by(AccessLogEntry.id))]
    db.session.commit()  # outside a request the test's transaction holds SQLite's write lock: give it back
    return rows


@pytest.fixture
def background_writer(app):
    """The buffer's background writer running every 50 ms for one test, stopped afterwards."""
    with app.app_context():
        buffer = access_log.access_log_buffer(app)
    buffer.start(seconds=0.05)
    yield buffer
    buffer.close()
    buffer.seconds = 0
    app.extensions.pop("access_log_buffer", None)


def test_a_customer_page_view_is_in_the_log_exactly_once_after_the_request(client, team):
    customer = new_customer(team["sales"], name="华联超市")
    login_as(client, team["sales"])
    assert client.get(f"/customers/{customer.id}").status_code == 200
    # The page did not wait for the database: the row is in the worker's buffer.
    assert _rows() == []
    login_as(client, team["head"])
    page = client.get("/access-log").get_data(as_text=True)
    assert f"/customers/{customer.id}" in page
    assert _rows() == [(CUSTOMER_PAGE, customer.id)]
    # Reading again writes nothing twice.
    assert client.get("/access-log").status_code == 200 and client.get("/").status_code == 200
    assert _rows() == [(CUSTOMER_PAGE, customer.id)]


def test_an_export_writes_the_views_before_it_in_their_order(client, team):
    first, second = new_customer(team["sales"], name="客户甲"), new_customer(team["sales"], name="客户乙")
    login_as(client, team["sales"])
    client.get(f"/customers/{first.id}")
    client.get(f"/customers/{second.id}")
    assert client.get("/customers/export").status_code == 200
    assert _rows() == [(CUSTOMER_PAGE, first.id), (CUSTOMER_PAGE, second.id), (EXPORT, None)]


def test_the_background_writer_writes_a_burst_of_views_once_each(client, team, background_writer):
    customers = [new_customer(team["sales"], name=f"客户{number:02d}") for number in range(12)]
    login_as(client, team["sales"])
    for index in range(120):
        assert client.get(f"/customers/{customers[index % 12].id}").status_code == 200
    deadline = time.monotonic() + 10
    while len(_rows()) < 120 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a second write of the same rows would land here
    assert _rows() == [(CUSTOMER_PAGE, customers[index % 12].id) for index in range(120)]
    assert background_writer.rows == []


def test_a_failed_write_breaks_no_page_and_the_rows_are_written_by_the_next(client, team, monkeypatch, caplog):
    customer = new_customer(team["sales"], name="华联超市")
    insert = access_log._insert
    failures = []

    def locked(engine, rows):
        failures.append(len(rows))
        raise OperationalError("INSERT INTO access_log", {}, Exception("database is locked"))

    monkeypatch.setattr(access_log, "_insert", locked)
    login_as(client, team["sales"])
    assert client.get(f"/customers/{customer.id}").status_code == 200
    login_as(client, team["head"])
    with caplog.at_level(logging.WARNING, logger="portal.access_log"):
        assert client.get("/access-log").status_code == 200
        assert client.get("/").status_code == 200
    assert failures == [1, 1] and "kept for the next write" in caplog.text
    # An export is refused rather than handed out unlogged, and is not logged as read.
    login_as(client, team["sales"])
    with pytest.raises(OperationalError):
        client.get("/customers/export")
    assert _rows() == []
    login_as(client, team["head"])
    monkeypatch.setattr(access_log, "_insert", insert)
    assert f"/customers/{customer.id}" in client.get("/access-log").get_data(as_text=True)
    assert _rows() == [(CUSTOMER_PAGE, customer.id)]


def test_a_row_the_database_refuses_does_not_hold_back_the_others(app, client, team, caplog):
    customer = new_customer(team["sales"], name="华联超市")
    login_as(client, team["sales"])
    with app.test_request_context("/customers/0"):
        access_log.record_access(CUSTOMER_PAGE, target="/customers/0", user=SimpleNamespace(id=2**31 - 1, department_id=None))
    client.get(f"/customers/{customer.id}")
    if db.engine.dialect.name == "sqlite" and not db.session.execute(db.text("PRAGMA foreign_keys")).scalar():
        pytest.skip("foreign keys are not enforced")
    with caplog.at_level(logging.ERROR, logger="portal.access_log"):
        assert access_log.flush_access_log() == 1
    assert _rows() == [(CUSTOMER_PAGE, customer.id)] and "refused by the database" in caplog.text


def test_rows_waiting_are_written_when_the_process_exits(app, team):
    """Another process (a worker) keeps two views in its buffer — its writer would wait a minute —
    and ends normally: both rows are in the table."""
    script = textwrap.dedent(f"""
        from portal import create_app
        from portal.access_log import record_access
        from portal.extensions import db
        from portal.models import User

        app = create_app({{"SQLALCHEMY_DATABASE_URI": {app.config["SQLALCHEMY_DATABASE_URI"]!r}, "SECRET_KEY": "x",
                          "ACCESS_LOG_FLUSH_SECONDS": 60}}, instance_path={app.instance_path!r})
        with app.test_request_context("/customers/7"):
            user = db.session.get(User, {team["sales"].id})
            record_access("customer", target="/customers/7", record_id=7, user=user)
            record_access("customer", target="/customers/8", record_id=8, user=user)
            db.session.commit()
        print("buffered", len(app.extensions["access_log_buffer"].rows))
    """)
    db.session.commit()
    tests = os.path.dirname(__file__)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=os.path.dirname(tests), env={**os.environ, "PYTHONPATH": os.path.dirname(tests)})
    assert result.returncode == 0, result.stderr
    assert "buffered 2" in result.stdout
    assert _rows() == [(CUSTOMER_PAGE, 7), (CUSTOMER_PAGE, 8)]


def test_gunicorn_workers_write_every_view_once_by_fifty_and_at_shutdown(app, team, tmp_path):
    """Two gunicorn worker processes, each with its own buffer, serve 4 × 30 customer pages while
    two writers save follow-ups: a worker writes once 50 views wait (its timer is set to a
    minute), and the rest when it stops (SIGTERM, as a restart does): 120 rows, each view once."""
    from bench.loadtest import _free_port, _wait_until_up

    customer = new_customer(team["sales"], name="华联超市")
    config = {"SECRET_KEY": "served-secret", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "ACCESS_LOG_FLUSH_SECONDS": 60}
    signer = create_app(config, instance_path=str(tmp_path))
    serializer = signer.session_interface.get_signing_serializer(signer)
    cookie = "session=" + serializer.dumps({"_user_id": team["sales"].session_token, "_fresh": True})
    customer_id = customer.id
    db.session.commit()
    port = _free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    with (tmp_path / "gunicorn.log").open("w") as log:
        server = subprocess.Popen([gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                   f"portal:create_app({config!r}, {str(tmp_path)!r})"],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    statuses = []

    def get(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(count):
            connection.request("GET", f"/customers/{customer_id}", headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()

    def post(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        happened = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 86400))
        for number in range(count):
            body = urlencode({"kind": "call_out", "happened_at": happened, "summary": f"第{number}次", "contact_id": "0"})
            connection.request("POST", f"/customers/{customer_id}/follow-ups", body=body,
                               headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status if response.status < 500 else "error")
        connection.close()

    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        threads = [threading.Thread(target=get, args=(30,)) for _ in range(4)]
        threads += [threading.Thread(target=post, args=(10,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert statuses.count(200) == 120 and "error" not in statuses, statuses
        written_before_shutdown = len(_rows())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert written_before_shutdown >= 50  # at least one worker had 50 waiting
    assert _rows() == [(CUSTOMER_PAGE, customer_id)] * 120

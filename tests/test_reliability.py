"""Reliability figures the README quotes, proven against the portal served by its real server.

- 8 writers × 200 follow-ups logged at once through waitress: every one saved exactly once, no
  server error, no "database is locked" (SQLite, and PostgreSQL when the suite runs on it);
- the same through gunicorn's four worker processes (``make run``), whose writers meet only
  SQLite's own lock, not the in-process one;
- a backup taken while writers write passes SQLite's integrity check;
- 100 edits from a form opened before someone else saved: every one refused with 409.
"""
import http.client
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from waitress.server import create_server

from bench.loadtest import _free_port, _wait_until_up

from conftest import login_as
from followups_factories import make_customer, make_team
from portal import create_app
from portal.database import utcnow
from portal.extensions import db
from portal.models import Customer, FollowUp

WRITERS, WRITES_EACH = 8, 200


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def served(app):
    """A second app on the test database, served by waitress on 127.0.0.1 (as ``make run`` does)."""
    served_app = create_app(
        {
            "SECRET_KEY": "served-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        },
        instance_path=app.instance_path,
    )
    server = create_server(served_app, host="127.0.0.1", port=0, threads=WRITERS)
    closing = threading.Event()

    def serve():
        try:
            server.run()
        except OSError:
            # Closing the server closes its sockets under the loop's select(); only then is it expected.
            if not closing.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield served_app, server.effective_port
    closing.set()
    server.close()
    thread.join(timeout=10)
    with served_app.app_context():
        db.engine.dispose()


@pytest.fixture
def served_by_worker_processes(app, tmp_path):
    """The test database served by gunicorn with four single-threaded worker processes, as
    ``make run`` serves; yields (an app with the same secret to sign cookies, port, server log)."""
    config = {
        "SECRET_KEY": "served-secret",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "4", f"portal:create_app({config!r}, {str(tmp_path)!r})"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        signer = create_app(config, instance_path=str(tmp_path))
        yield signer, port, log_path
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def _session_cookie(served_app, user) -> str:
    serializer = served_app.session_interface.get_signing_serializer(served_app)
    return "session=" + serializer.dumps({"_user_id": user.session_token, "_fresh": True})


def _write_follow_ups(port, cookie, customer_id, count, outcome, label=""):
    """Log ``count`` follow-ups through HTTP; record every status and error in ``outcome``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    happened = (utcnow() + timedelta(hours=8) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    try:
        for number in range(count):
            body = urlencode({"kind": "call_out", "happened_at": happened, "summary": f"{label}第{number}次电话", "contact_id": "0"})
            connection.request(
                "POST",
                f"/customers/{customer_id}/follow-ups",
                body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            outcome.append(response.status)
            if "database is locked" in text:
                outcome.append("locked")
    except Exception as error:  # a dropped connection is a failure the assertion shows
        outcome.append(repr(error))
    finally:
        connection.close()


def _run_writers(served_app, port, owner, writers, writes_each, during=None):
    customers = [make_customer(owner, name=f"并发客户{number}") for number in range(writers)]
    cookie = _session_cookie(served_app, owner)
    customer_ids = [customer.id for customer in customers]
    # Writes begin IMMEDIATE on SQLite: the test's own session must not sit in a transaction
    # (reloading the rows above opened one) while the served app writes.
    db.session.commit()
    outcomes = [[] for _ in customers]
    threads = [
        threading.Thread(target=_write_follow_ups, args=(port, cookie, customer_id, writes_each, outcome))
        for customer_id, outcome in zip(customer_ids, outcomes)
    ]
    for thread in threads:
        thread.start()
    result = during() if during else None
    for thread in threads:
        thread.join(timeout=300)
    return customers, outcomes, result


@pytest.mark.parametrize(("server", "writes_each"), [("served", WRITES_EACH), ("served_by_worker_processes", 50)],
                         ids=["waitress", "worker_processes"])
def test_eight_writers_save_every_follow_up_exactly_once(team, request, server, writes_each):
    """Through waitress's threads and through gunicorn's worker processes (whose writers meet only
    SQLite's own lock): each follow-up saved once, no server error, no "database is locked"."""
    served_app, port, *server_log = request.getfixturevalue(server)
    customers, outcomes, _ = _run_writers(served_app, port, team["sales"], WRITERS, writes_each)
    statuses = [status for outcome in outcomes for status in outcome]
    assert statuses.count(303) == WRITERS * writes_each, sorted(set(map(str, statuses)))
    for customer_id in [customer.id for customer in customers]:
        saved = db.session.scalars(select(FollowUp.summary).where(FollowUp.customer_id == customer_id)).all()
        assert sorted(saved) == sorted(f"第{number}次电话" for number in range(writes_each))
    for log_path in server_log:
        assert "database is locked" not in log_path.read_text()


def test_eight_people_logging_follow_ups_on_one_customer_at_once_all_save(team, served):
    """Follow-ups logged on the same customer at the same moment each move the customer's schedule:
    the later writer waits for the earlier (on PostgreSQL a row lock, on SQLite the write lock)
    instead of meeting its version check and answering 409."""
    served_app, port = served
    customer = make_customer(team["sales"], name="热门客户")
    cookie, customer_id = _session_cookie(served_app, team["sales"]), customer.id
    db.session.commit()
    outcomes = [[] for _ in range(WRITERS)]
    threads = [threading.Thread(target=_write_follow_ups, args=(port, cookie, customer_id, 5, outcome, f"{writer}号"))
               for writer, outcome in enumerate(outcomes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    statuses = [status for outcome in outcomes for status in outcome]
    assert statuses.count(303) == WRITERS * 5, sorted(set(map(str, statuses)))
    db.session.expire_all()
    saved = db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)).all()
    assert sorted(f.summary for f in saved) == sorted(f"{w}号第{n}次电话" for w in range(WRITERS) for n in range(5))
    newest = max(saved, key=lambda f: (f.happened_at, f.id))
    assert db.session.get(Customer, customer_id).last_follow_up_at == newest.happened_at


def test_a_backup_taken_during_writes_passes_the_integrity_check(app, team, served, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the backup command copies the SQLite file; PostgreSQL uses pg_dump")
    served_app, port = served
    database_path = db.engine.url.database

    def back_up_repeatedly():
        copies = []
        for number in range(3):
            target_path = tmp_path / f"copy{number}.db"
            source, target = sqlite3.connect(database_path), sqlite3.connect(target_path)
            with target:
                source.backup(target)  # what `flask backup` does
            source.close()
            copies.append((target.execute("PRAGMA integrity_check").fetchone()[0], target.execute("SELECT count(*) FROM follow_ups").fetchone()[0]))
            target.close()
        return copies

    _customers, outcomes, copies = _run_writers(served_app, port, team["sales"], 4, 50, during=back_up_repeatedly)
    assert [check for check, _rows in copies] == ["ok", "ok", "ok"]
    assert all(0 <= rows <= 200 for _check, rows in copies)
    assert [status for outcome in outcomes for status in outcome].count(303) == 200
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 200


def test_a_hundred_stale_edits_are_all_refused(client, team):
    customer = make_customer(team["sales"], name="原名称")
    opened_at = customer.version
    login_as(client, team["sales"])
    fields = {"name": "先保存的名称", "stage": "potential", "customer_type_id": "0", "source_id": "0", "version": str(opened_at)}
    assert client.post(f"/customers/{customer.id}/edit", data=fields).status_code == 302
    statuses = [
        client.post(f"/customers/{customer.id}/edit", data={**fields, "name": f"过期表单{number}"}).status_code
        for number in range(100)
    ]
    assert statuses == [409] * 100
    assert db.session.get(Customer, customer.id).name == "先保存的名称"

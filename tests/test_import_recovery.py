"""An import whose process dies (SIGKILL) while checking or while writing is seen as interrupted once
its heartbeat is older than the limit, runs again from what was kept, and writes its rows exactly
once; a run given up for dead never writes beside the new one."""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from conftest import HTMX_HEADERS, login_as
from customer_factories import new_customer
from followups_factories import make_team
from portal import jobs
from portal.blueprints.customers import imports
from portal.extensions import db
from portal.models import Customer, ImportJob

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "import_runner.py"
ROWS = 10_000


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def workbook(rows) -> bytes:
    """A customers sheet of (name, mobile) rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(["客户名称", "手机", "地区"])
    for name, mobile in rows:
        sheet.append([name, mobile, "上海"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def finish(job_id: int) -> ImportJob:
    db.session.commit()  # this thread's transaction must not hold the writers' gate
    assert jobs.wait_for_all(300)
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def big_workbook(rows: int) -> bytes:
    return workbook((f"恢复测试客户{number:05d}", f"139{number:08d}") for number in range(1, rows + 1))


def upload_and_check(client, data: bytes) -> ImportJob:
    response = client.post("/customers/import", data={"workbook": (io.BytesIO(data), "big.xlsx")},
                           content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()  # the test client spools a large body to a file
    assert response.status_code == 303
    return finish(int(response.headers["Location"].rstrip("/").split("/")[-1]))


def run_until_stopped_then_kill(app, tmp_path, step: str, user, target) -> int:
    """Start the step in another process, wait (bounded) until it has stopped in the middle, SIGKILL
    it; returns its pid."""
    config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
                                               "RATELIMIT_STORAGE_URI", "SERVER_NAME")}
    marker, log_path = tmp_path / f"{step}.stopped", tmp_path / f"{step}.log"
    arguments = [sys.executable, str(RUNNER), json.dumps(config), app.instance_path, step, str(user.id), str(target), str(marker)]
    db.session.commit()  # this process must hold no lock the other one waits for
    with log_path.open("w") as log:
        process = subprocess.Popen(
            arguments,
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the import never reached the point to stop at"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    return process.pid


def wait_until_interrupted(client, job_id: int) -> str:
    deadline = time.monotonic() + 60
    while True:
        page = client.get(f"/customers/import/{job_id}", headers=HTMX_HEADERS).get_data(as_text=True)
        if "interrupted" in page:
            return page
        assert time.monotonic() < deadline, page
        time.sleep(0.2)


def customer_counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Customer)),
            db.session.scalar(select(func.count(func.distinct(Customer.name)))))


def the_job() -> ImportJob:
    db.session.expire_all()
    return db.session.scalars(select(ImportJob)).one()


def assert_stopped_run(job: ImportJob, status: str, pid: int) -> None:
    assert job.status == status
    assert job.owner.startswith(f"{socket.gethostname()[:80]}:{pid}:") and job.heartbeat_at is not None


def run_again(client, job_id: int) -> ImportJob:
    response = client.post(f"/customers/import/{job_id}/again")
    assert response.status_code == 303
    return finish(job_id)


def assert_a_second_run_again_changes_nothing(client, job: ImportJob) -> None:
    response = client.post(f"/customers/import/{job.id}/again", follow_redirects=True)
    assert "was not interrupted" in response.get_data(as_text=True)
    assert finish(job.id).status == "done" and customer_counts() == (ROWS, ROWS)


def test_an_import_killed_while_checking_is_interrupted_then_runs_again_once(app, client, team, tmp_path, monkeypatch):
    user = team["sales"]
    login_as(client, user)
    workbook_path = tmp_path / "big.xlsx"
    workbook_path.write_bytes(big_workbook(ROWS))

    pid = run_until_stopped_then_kill(app, tmp_path, "check", user, workbook_path)
    job = the_job()
    assert_stopped_run(job, "checking", pid)
    assert job.done_rows >= 4500 and customer_counts() == (0, 0)
    # Within the limit the page still shows the progress…
    assert "Checking the workbook" in client.get(f"/customers/import/{job.id}", headers=HTMX_HEADERS).get_data(as_text=True)
    # …and once the heartbeat is older than the limit, that the import was interrupted.
    monkeypatch.setitem(app.config, "JOB_STALE_AFTER_SECONDS", 1)
    page = wait_until_interrupted(client, job.id)
    assert "while it was checking the workbook" in page and "Run it again" in page
    assert the_job().interrupted_step == "checking"

    job = run_again(client, job.id)
    assert (job.status, job.valid_rows, job.error_count) == ("ready", ROWS, 0)
    assert client.post(f"/customers/import/{job.id}/commit").status_code == 303
    job = finish(job.id)
    assert (job.status, job.created) == ("done", ROWS)
    assert customer_counts() == (ROWS, ROWS)
    assert_a_second_run_again_changes_nothing(client, job)


def test_an_import_killed_while_writing_is_interrupted_then_writes_exactly_once(app, client, team, tmp_path, monkeypatch):
    user = team["sales"]
    login_as(client, user)
    job = upload_and_check(client, big_workbook(ROWS))
    assert (job.status, job.valid_rows) == ("ready", ROWS)

    pid = run_until_stopped_then_kill(app, tmp_path, "write", user, job.id)
    job = the_job()
    assert_stopped_run(job, "importing", pid)
    assert customer_counts() == (0, 0)  # the write was one transaction, never committed
    assert "Importing" in client.get(f"/customers/import/{job.id}", headers=HTMX_HEADERS).get_data(as_text=True)
    monkeypatch.setitem(app.config, "JOB_STALE_AFTER_SECONDS", 1)
    page = wait_until_interrupted(client, job.id)
    assert "while it was writing" in page and "Run it again" in page

    job = run_again(client, job.id)
    assert (job.status, job.created) == ("done", ROWS)
    assert customer_counts() == (ROWS, ROWS)
    assert_a_second_run_again_changes_nothing(client, job)


def test_a_run_given_up_for_dead_writes_nothing(client, team):
    """The run that was thought dead wakes up after another run took the job: its write is refused."""
    login_as(client, team["sales"])
    job = upload_and_check(client, big_workbook(3))
    assert job.status == "ready"
    assert imports.claim(job.id, "ready", "importing", "old-run", decisions={})
    assert imports.claim(job.id, "importing", "importing", "new-run")  # as a run again does
    with pytest.raises(jobs.JobLost):
        imports.commit_import(job.id, imports.load_checked(job.id), {}, team["sales"].id, "en", "old-run")
    db.session.expire_all()
    assert customer_counts() == (0, 0) and db.session.get(ImportJob, job.id).owner == "new-run"
    imports.commit_import(job.id, imports.load_checked(job.id), {}, team["sales"].id, "en", "new-run")
    db.session.expire_all()
    assert customer_counts() == (3, 3) and db.session.get(ImportJob, job.id).status == "done"
    # A job that is done is never claimed again.
    assert not imports.claim(job.id, "interrupted", "importing", "third-run")


def test_an_interrupted_write_runs_again_with_the_choices_confirmed_for_it(app, client, team, monkeypatch):
    """The process stops right after the confirmation (its thread never runs): the write runs again
    with the duplicate choices made then."""
    login_as(client, team["sales"])
    existing = new_customer(team["sales"], name="鲜果超市")
    job = upload_and_check(client, workbook([("鲜果超市", None), ("绿叶餐厅", None), ("红果铺", None)]))
    assert [entry["row"] for entry in job.duplicates] == [2]
    monkeypatch.setattr(jobs, "start", lambda *args: None)
    assert client.post(f"/customers/import/{job.id}/commit", data={"row-2": str(existing.id)}).status_code == 303
    monkeypatch.undo()
    assert "Importing" in client.get(f"/customers/import/{job.id}").get_data(as_text=True)
    monkeypatch.setitem(app.config, "JOB_STALE_AFTER_SECONDS", -1)  # any heartbeat is old
    assert "while it was writing" in client.get(f"/customers/import/{job.id}").get_data(as_text=True)
    job = run_again(client, job.id)
    assert (job.status, job.created, job.merged, job.skipped) == ("done", 2, 1, 0)

"""First-run set-up, logging in and out, sessions, throttling, passwords and `next`."""
import json
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import select

from conftest import HTMX_HEADERS, TEST_PASSWORD, login_as
from portal.extensions import db
from portal.models import Role, User


def _login(client, username, password=TEST_PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


# --- first run -----------------------------------------------------------------------------

def test_every_page_leads_to_setup_while_no_user_exists(client):
    for path in ("/", "/login", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/setup")


def test_setup_creates_first_administrator_and_logs_in(client):
    response = client.post(
        "/setup",
        data={"username": "boss", "display_name": "总经理", "password": "long-enough-1", "confirm": "long-enough-1"},
    )
    assert response.status_code == 302
    admin = User.by_username("boss")
    assert admin.role == Role.ADMIN and admin.check_password("long-enough-1")
    assert client.get("/admin/users").status_code == 200


def test_setup_rejects_short_password_and_mismatch(client):
    response = client.post(
        "/setup", data={"username": "boss", "display_name": "总经理", "password": "short", "confirm": "other"}
    )
    assert response.status_code == 422
    assert "8" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id)) is None


def test_setup_is_closed_once_a_user_exists(client, make_user):
    make_user(Role.ADMIN)
    response = client.post(
        "/setup", data={"username": "intruder", "display_name": "x", "password": "long-enough-1", "confirm": "long-enough-1"}
    )
    assert response.status_code == 302
    assert User.by_username("intruder") is None


# --- login and logout ------------------------------------------------------------------------

def test_login_page_is_chinese_by_default(client, make_user):
    make_user(Role.ADMIN)
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page
    assert 'lang="zh-CN"' in page


def test_login_with_right_password_opens_my_day(client, make_user):
    user = make_user(Role.SALES, username="liu")
    response = _login(client, "liu")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None


def test_the_password_is_checked_without_holding_the_write_lock(app, client, make_user, monkeypatch):
    """A login's scrypt check (tens of ms) must not hold SQLite's one write lock: a burst of logins
    queued behind it past the busy timeout and answered 500."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from portal.database import holds_sqlite_write_gate

    make_user(Role.SALES, username="liu")
    held_while_checking = []
    check_password = User.check_password
    monkeypatch.setattr(User, "check_password",
                        lambda self, password: held_while_checking.append(holds_sqlite_write_gate()) or check_password(self, password))
    assert _login(client, "liu", "wrong-password").status_code == 401
    assert _login(client, "liu").status_code == 302
    assert held_while_checking == [False, False]
    assert not holds_sqlite_write_gate()
    assert db.session.scalar(select(User).where(User.username == "liu")).last_login_at is not None


@pytest.mark.parametrize("username, password", [("liu", "wrong-password"), ("nobody", TEST_PASSWORD)])
def test_wrong_password_or_unknown_user_gets_the_same_message(client, make_user, username, password):
    make_user(Role.SALES, username="liu")
    response = _login(client, username, password)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(Role.SALES, username="gone", active=False)
    response = _login(client, "gone")
    assert response.status_code == 401
    assert "停用" in response.get_data(as_text=True)


def test_inactive_user_session_stops_working(client, make_user):
    user = make_user(Role.SALES)
    login_as(client, user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_logout_ends_every_session_of_the_user(app, make_user):
    user = make_user(Role.SALES, username="liu")
    phone, desktop = app.test_client(), app.test_client()
    assert _login(phone, "liu").status_code == 302
    assert _login(desktop, "liu").status_code == 302
    phone.post("/logout")
    assert phone.get("/").status_code == 302
    assert desktop.get("/").status_code == 302


def test_copied_session_cookie_is_useless_after_logout(app, make_user):
    make_user(Role.SALES, username="liu")
    client = app.test_client()
    _login(client, "liu")
    stolen = client.get_cookie("session", domain="portal.test").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="portal.test")
    assert thief.get("/").status_code == 302


def test_remember_me_survives_a_lost_session_but_not_a_logout(app, make_user):
    make_user(Role.SALES, username="liu")
    client = app.test_client()
    _login(client, "liu", remember="y")
    remember = client.get_cookie("remember_token", domain="portal.test")
    assert remember is not None
    # A browser restart drops the session cookie but keeps remember-me.
    client.delete_cookie("session", domain="portal.test")
    assert client.get("/").status_code == 200
    other = app.test_client()
    other.set_cookie("remember_token", remember.value, domain="portal.test")
    _login(app.test_client(), "liu")  # unrelated login keeps the token
    assert other.get("/").status_code == 200
    client.post("/logout")
    other.delete_cookie("session", domain="portal.test")
    assert other.get("/").status_code == 302


# --- next --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https:evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_redirects_within_the_site(client, make_user, target, expected):
    make_user(Role.ADMIN, username="boss")
    response = _login(client, "boss", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_redirect_keeps_where_the_user_was_going(client, make_user):
    make_user(Role.ADMIN)
    response = client.get("/admin/users?role=sales")
    assert response.status_code == 302
    assert "next=/admin/users?role%3Dsales" in response.headers["Location"] or "next=%2Fadmin" in response.headers["Location"]


# --- throttling --------------------------------------------------------------------------------

def test_login_is_throttled_per_username(app, client, make_user):
    make_user(Role.SALES, username="liu")
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit):
        assert _login(client, "liu", "wrong-password").status_code == 401
    blocked = _login(client, "liu")  # even the right password waits now
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out by these failures.
    make_user(Role.SALES, username="chen")
    assert _login(client, "chen").status_code == 302


def test_login_is_throttled_per_address(app, client, make_user):
    make_user(Role.SALES, username="liu")
    limit = int(app.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0])
    for number in range(limit):
        assert _login(client, f"guess{number}", "wrong-password").status_code == 401
    assert _login(client, "liu").status_code == 429
    other_address = app.test_client()
    response = other_address.post(
        "/login", data={"username": "liu", "password": TEST_PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert response.status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(app, make_user):
    make_user(Role.SALES, username="liu")
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit + 2):
        client = app.test_client()
        assert _login(client, "liu").status_code == 302


# --- own password -----------------------------------------------------------------------------

def test_change_password_keeps_this_session_and_ends_the_others(app, make_user):
    make_user(Role.SALES, username="liu")
    here, elsewhere = app.test_client(), app.test_client()
    _login(here, "liu")
    _login(elsewhere, "liu")
    response = here.post(
        "/account/password", data={"current": TEST_PASSWORD, "password": "new-password-2", "confirm": "new-password-2"}
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert User.by_username("liu").check_password("new-password-2")


def test_change_password_needs_the_current_one(client, make_user):
    user = make_user(Role.SALES)
    login_as(client, user)
    response = client.post(
        "/account/password", data={"current": "not-it", "password": "new-password-2", "confirm": "new-password-2"}
    )
    assert response.status_code == 422
    assert "当前密码错误" in response.get_data(as_text=True)
    assert db.session.get(User, user.id).check_password(TEST_PASSWORD)


# --- bad input ----------------------------------------------------------------------------------

def test_over_long_username_is_refused_cleanly(client, make_user):
    make_user(Role.ADMIN)
    response = _login(client, "x" * 500)
    assert response.status_code == 422
    assert client.get("/").status_code == 302


# --- CSRF -------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_with_a_message(client, make_user, csrf_on):
    user = make_user(Role.SALES)
    login_as(client, user)
    response = client.post("/account/language", data={"language": "en"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert db.session.get(User, user.id).language == "zh_CN"


def test_htmx_post_is_accepted_with_the_header_token_only(client, make_user, csrf_on):
    user = make_user(Role.SALES)
    login_as(client, user)
    page = client.get("/").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    refused = client.post("/account/language", data={"language": "en"}, headers={**HTMX_HEADERS, "X-CSRFToken": "forged"})
    assert refused.status_code == 400
    accepted = client.post("/account/language", data={"language": "en"}, headers={**HTMX_HEADERS, "X-CSRFToken": token})
    assert accepted.status_code == 302
    assert db.session.get(User, user.id).language == "en"


def test_form_post_with_token_from_the_page_is_accepted(client, make_user, csrf_on):
    make_user(Role.ADMIN)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    make_user(Role.SALES, username="liu")
    response = client.post("/login", data={"username": "liu", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def _limit_storage(kind: str, tmp_path):
    """(storage URL, how many counters it holds) for the login limit's storage ``kind``."""
    if kind == "memory":
        return "memory://", None
    if kind == "sqlite":
        path = tmp_path / "login-limits.db"
        return f"sqlite:///{path}", lambda: sqlite3.connect(path).execute("SELECT count(*) FROM counters").fetchone()[0]
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url, lambda: redis.Redis.from_url(url).dbsize()


# Failed logins made by another process: a worker of the same box or another app server.
_FAILED_LOGINS_ELSEWHERE = """
import json, sys
from portal import create_app
config, instance, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = create_app(config, instance)
for _ in range(count):
    with app.app_context():
        status = app.test_client().post("/login", data={"username": "liu", "password": "wrong-password"}).status_code
        assert status == 401, status
"""


@pytest.mark.parametrize("kind, shared", [("sqlite", True), ("redis", True), ("memory", False)])
def test_login_limits_are_shared_by_worker_processes(tmp_path, kind, shared):
    """Failed logins in one process count in another: through the SQLite file of one box (the
    default, for several worker processes) or through Redis (several app servers). In-memory
    counters are each process's own, so there the other process still lets the person in."""
    from flask_migrate import upgrade

    from portal import create_app

    url, stored = _limit_storage(kind, tmp_path)
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    config = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, "WTF_CSRF_ENABLED": False,
              "RATELIMIT_STORAGE_URI": url, "LOGIN_LIMIT_PER_USERNAME": "3 per 5 minutes"}
    app = create_app(config, str(tmp_path))
    with app.app_context():
        upgrade()
        user = User(username="liu", display_name="刘洋", role=Role.SALES.value)
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
    try:
        subprocess.run([sys.executable, "-c", _FAILED_LOGINS_ELSEWHERE, json.dumps(config), str(tmp_path), "3"],
                       check=True, timeout=120)
        with app.app_context():
            assert _login(app.test_client(), "liu").status_code == (429 if shared else 302)
        if stored:
            assert stored() > 0  # the counters live in the shared storage
    finally:
        if kind == "redis":
            import redis

            redis.Redis.from_url(url).flushdb()
        with app.app_context():
            db.engine.dispose()


def test_the_default_login_limit_storage_is_a_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_RATELIMIT_STORAGE", raising=False)
    from portal.config import default_settings

    assert default_settings(str(tmp_path))["RATELIMIT_STORAGE_URI"] == f"sqlite:///{tmp_path / 'login-limits.db'}"


def test_logging_in_records_the_time_without_an_edit_conflict(app, client, make_user):
    """The login time is bookkeeping: it does not raise the account's version, so two devices
    logging in as the same person both get in and later edits are not refused as stale."""
    user = make_user("sales", username="two.devices")
    version = user.version
    for device in (client, app.test_client()):
        response = device.post("/login", data={"username": "two.devices", "password": TEST_PASSWORD})
        assert response.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.last_login_at is not None and fresh.version == version

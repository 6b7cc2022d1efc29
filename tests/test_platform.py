"""Security headers, cookies, the database engine set-up, migrations and the secret key."""
import os
import sqlite3
import threading

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from conftest import login_as
from portal import create_app
from portal.config import load_secret_key
from portal.extensions import db
from portal.search import outside_the_models
from portal.models import Role


def test_security_headers_on_every_page(client, make_user):
    make_user(Role.ADMIN)
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_and_serve_htmx_locally(client, make_user):
    login_as(client, make_user(Role.ADMIN))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<script>" not in page and "cdn" not in page.lower()
    assert '/static/vendor/htmx-2.0.11.min.js' in page
    with client.get("/static/vendor/htmx-2.0.11.min.js") as script:
        assert script.status_code == 200


def test_session_cookie_flags(client, make_user):
    make_user(Role.SALES, username="liu")
    response = client.post("/login", data={"username": "liu", "password": "correct-horse-9", "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain-HTTP LAN by default


def test_secure_cookies_can_be_switched_on(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_SECURE_COOKIES", "1")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_secret_key_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    first = load_secret_key(str(tmp_path))
    assert len(first) == 64
    assert load_secret_key(str(tmp_path)) == first
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"
    monkeypatch.setenv("PORTAL_SECRET_KEY", "configured")
    assert load_secret_key(str(tmp_path)) == "configured"


def test_unknown_page_gets_a_friendly_404(client, make_user):
    login_as(client, make_user(Role.SALES))
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": outside_the_models})
        assert compare_metadata(context, db.metadata) == []


def _app_on_a_file(tmp_path):
    """The portal on its own SQLite file, for migrating up and down."""
    return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}"},
                      instance_path=str(tmp_path))


def _salesperson():
    from portal.models import Department, User

    return User(username="liu", display_name="刘洋", role=Role.SALES.value, department=Department(name="水果部"), password_hash="x")


def test_contacts_saved_before_the_phone_keys_get_them_from_the_migration(tmp_path):
    """0014 fills the phone keys of the contacts already there by the rule the portal saves with,
    and its downgrade takes them away again."""
    from flask_migrate import downgrade, upgrade

    from portal.models import Customer
    from portal.rules.customers import refresh_keys

    app = _app_on_a_file(tmp_path)
    with app.app_context():
        upgrade()
        owner = _salesperson()
        customer = Customer(name="华联超市", owner=owner, department=owner.department)
        refresh_keys(customer)
        db.session.add(customer)
        db.session.commit()
        customer_id = customer.id
        db.session.remove()
        downgrade(revision="0013")
        with db.engine.begin() as connection:
            columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(contacts)")}
            assert "phone_key" not in columns
            connection.execute(text(
                "INSERT INTO contacts (customer_id, name, title, phone, mobile, email, notes, version, created_at, updated_at)"
                " VALUES (:customer, '王建国', '', '＋86 138-0013-8000', '', '', '', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ), {"customer": customer_id})
        upgrade()
        with db.engine.connect() as connection:
            keys = connection.execute(text("SELECT phone_key, mobile_key FROM contacts")).all()
        assert [tuple(row) for row in keys] == [("13800138000", "")]
        db.session.remove()
        db.engine.dispose()


def test_instalments_saved_before_running_totals_get_them_from_the_migration(tmp_path):
    """0016 gives the instalments already there the running totals the portal keeps (due date,
    then position; archived ones count for nothing)."""
    from datetime import date

    from flask_migrate import downgrade, upgrade

    from contracts_factories import make_contract
    from customer_factories import new_customer

    app = _app_on_a_file(tmp_path)
    with app.app_context():
        upgrade()
        owner = _salesperson()
        db.session.add(owner)
        db.session.commit()
        make_contract(new_customer(owner), plan=[(date(2026, 3, 1), "830.10"), (date(2026, 1, 1), "299.90")])
        db.session.commit()
        db.session.remove()
        downgrade(revision="0015")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO instalments (contract_id, position, due_on, amount, archived_at, version,"
                                    " created_at, updated_at) SELECT contract_id, 3, '2026-02-01', 500, '2026-01-05 00:00:00',"
                                    " 1, created_at, updated_at FROM instalments LIMIT 1"))
        upgrade()
        with db.engine.connect() as connection:
            totals = connection.execute(text("SELECT due_on, running_total FROM instalments WHERE archived_at IS NULL"
                                             " ORDER BY due_on")).all()
        assert [(str(due_on), Decimal(str(total))) for due_on, total in totals] == [
            ("2026-01-01", Decimal("299.90")), ("2026-03-01", Decimal("1130.00"))]
        db.session.remove()
        db.engine.dispose()


def test_the_search_index_triggers_survive_every_migration(app):
    """A migration that copies the customers table (an Alembic batch on SQLite) drops the triggers
    that keep the search index in step; the migrated test database must still have all three."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        names = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"customers_grams_insert", "customers_grams_delete", "customers_grams_update"} <= names


def test_sqlite_connections_use_wal_foreign_keys_a_busy_timeout_and_a_mapped_file():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        # Reads come from the mapped file, not a per-connection copy emptied by every commit.
        assert connection.execute(text("PRAGMA mmap_size")).scalar() > 0


def test_concurrent_read_modify_write_loses_nothing_on_sqlite(tmp_path):
    """Writers that read then write: BEGIN IMMEDIATE makes them queue instead of failing."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    engine = create_engine(f"sqlite:///{tmp_path / 'counter.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (value INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    errors = []

    def writer():
        for _ in range(50):
            try:
                with engine.begin() as connection:
                    value = connection.execute(text("SELECT value FROM counter")).scalar()
                    connection.execute(text("UPDATE counter SET value = :v"), {"v": value + 1})
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar() == 200
    assert errors == []
    engine.dispose()


def test_a_file_other_connections_are_switching_to_wal_is_waited_for():
    """SQLite refuses at once, without its busy timeout, a journal-mode switch that races another
    connection's (the first connections of several worker processes to a restored, DELETE-mode
    file): the connection retries instead of failing the request; any other error is raised."""
    from portal import database

    refusals = {"left": 3}
    executed = []

    class RacingCursor:
        def execute(self, sql):
            if sql.startswith("PRAGMA journal_mode") and refusals["left"]:
                refusals["left"] -= 1
                raise sqlite3.OperationalError("database is locked")
            executed.append(sql)

    class BrokenCursor:
        def execute(self, sql):
            raise sqlite3.OperationalError("unable to open database file")

    database.switch_to_wal(RacingCursor(), pause=0)
    assert refusals["left"] == 0 and executed == ["PRAGMA journal_mode=WAL"]
    with pytest.raises(sqlite3.OperationalError):
        database.switch_to_wal(BrokenCursor(), pause=0)


def test_processes_opening_a_restored_file_at_once_all_connect(tmp_path):
    """Eight engines (as gunicorn's worker processes have, each its own) open a file left in DELETE
    mode, as ``flask restore`` leaves it, at the same moment, twenty times: every connection is
    made and in WAL mode. (One engine's first connection is configured before its others.)"""
    for trial in range(20):
        path = tmp_path / f"restored{trial}.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (a INTEGER)")
        connection.close()
        engines = [create_engine(f"sqlite:///{path}") for _ in range(8)]
        barrier, modes, errors = threading.Barrier(len(engines)), [], []

        def open_one(engine):
            barrier.wait(timeout=30)
            try:
                with engine.connect() as connection:
                    modes.append(connection.execute(text("PRAGMA journal_mode")).scalar())
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=open_one, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for engine in engines:
            engine.dispose()
        assert errors == [] and modes == ["wal"] * len(engines), trial


def test_server_error_page_rolls_back_and_explains(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}"},
                     instance_path=str(tmp_path))

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.extensions["portal_state"] = {"has_users": True}
    client = app.test_client()
    with app.app_context():
        response = client.get("/boom")
        db.engine.dispose()
    assert response.status_code == 500
    assert "系统出错了" in response.get_data(as_text=True)


def test_sqlite_statistics_are_refreshed_when_a_connection_returns(tmp_path, monkeypatch):
    from portal import database

    engine = create_engine(f"sqlite:///{tmp_path / 'stats.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER, b INTEGER)"))
        connection.execute(text("CREATE INDEX ix_t_a ON t (a)"))
        connection.execute(text("INSERT INTO t VALUES (1, 2), (3, 4)"))
    monkeypatch.setitem(database._last_sqlite_optimize, "at", float("-inf"))
    with engine.connect() as connection:
        connection.execute(text("SELECT b FROM t WHERE a = 1")).all()
    with engine.connect() as connection:
        analysed = connection.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
    engine.dispose()
    assert analysed == 1


def test_dates_are_shown_in_the_company_time_zone(app):
    from datetime import date, datetime, timezone

    from portal.rendering import day, minute

    late_evening_utc = datetime(2026, 11, 22, 17, 30, tzinfo=timezone.utc)  # 01:30 next day in Shanghai
    with app.test_request_context("/"):
        assert day(late_evening_utc) == "2026-11-23"
        assert minute(late_evening_utc) == "2026-11-23 01:30"
        assert day(date(2026, 1, 5)) == "2026-01-05"
        assert day(None) == "" and minute(None) == ""


def test_two_saves_at_the_same_moment_answer_409_not_500(tmp_path):
    from sqlalchemy.orm.exc import StaleDataError

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.db'}"},
                     instance_path=str(tmp_path))

    @app.route("/race", methods=["POST"])
    def race():
        raise StaleDataError("UPDATE statement on table 'customers' expected to update 1 row(s); 0 were matched.")

    app.extensions["portal_state"] = {"has_users": True}
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with app.app_context():
        page = client.post("/race")
        fragment = client.post("/race", headers={"HX-Request": "true"})
        db.engine.dispose()
    assert page.status_code == 409 and "同一时刻" in page.get_data(as_text=True)
    assert fragment.status_code == 409 and "<html" not in fragment.get_data(as_text=True)


def test_labels_defined_in_python_follow_the_request_language_and_a_forced_one(app, client, make_user):
    """Translations are looked up once per request; a lazy label (the menu's, a form's) still
    follows ``force_locale`` and ``flask_babel.refresh()`` inside the request, and each request
    its own user's language."""
    from flask_babel import force_locale, lazy_gettext

    label = lazy_gettext("My day")
    with app.test_request_context():
        assert str(label) == "我的一天"
        with force_locale("en"):
            assert str(label) == "My day"
        assert str(label) == "我的一天"
    english, chinese = make_user(Role.SALES, language="en"), make_user(Role.SALES, language="zh_CN")
    for user, expected in ((english, ">My day<"), (chinese, ">我的一天<"), (english, ">My day<")):
        login_as(client, user)
        assert expected in client.get("/").get_data(as_text=True)
        client.post("/logout")

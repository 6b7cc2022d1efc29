"""Shared fixtures: one app per session, an empty database per test, factories and login.

The suite runs on SQLite by default and on PostgreSQL when PORTAL_TEST_DATABASE_URL is set.
The schema is built by the Alembic migrations, so every run checks them too.
"""
import itertools
import json
import os
import re
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.extensions import db, limiter
from portal.models import Department, Role, User

pytest_plugins = ["browser_required"]

TEST_PASSWORD = "correct-horse-9"
# Hashing once keeps factories fast; the login tests still check real scrypt hashes.
_TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)
_counter = itertools.count(1)


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a server does.

    Without this the request would share the test's app context: ``g`` (and Flask-Login's cached
    user) and the database session would leak from one request into the next. The test's own
    session commits first, so it holds no lock the request waits for, and forgets what it loaded
    afterwards, so assertions read what the request wrote.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    database_url = os.environ.get("PORTAL_TEST_DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": "portal.test",
            # No background writer: a test's statements are its own; reads write the buffer first.
            "ACCESS_LOG_FLUSH_SECONDS": 0,
        },
        instance_path=str(instance),
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_database(app):
    """Each test starts with empty tables and clean per-process state."""
    app.extensions.get("portal_state", {}).clear()
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _forget_buffered_access_log(app)
        _empty_tables()
        limiter.reset()


def _forget_buffered_access_log(app):
    """Rows a test left in the access log's buffer are written (and emptied with the tables), not
    carried into the next test."""
    buffer = app.extensions.get("access_log_buffer")
    if buffer is not None:
        buffer.flush()
        buffer.rows.clear()


def _empty_tables():
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_department():
    def factory(name: str | None = None) -> Department:
        department = Department(name=name or f"部门{next(_counter)}")
        db.session.add(department)
        db.session.commit()
        return department

    return factory


@pytest.fixture
def make_user():
    def factory(role: str = Role.SALES, department: Department | None = None, username: str | None = None, **fields) -> User:
        number = next(_counter)
        user = User(
            username=username or f"{role}{number}",
            display_name=fields.pop("display_name", f"用户{number}"),
            role=str(role),
            department=department,
            password_hash=_TEST_PASSWORD_HASH,
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def world(make_department, make_user):
    """The access matrix's cast: one actor per role in department A, a colleague there, and a
    salesperson and a head of department B."""
    department_a = make_department("甲部")
    department_b = make_department("乙部")
    actors = {role: make_user(role, department_a) for role in ("sales", "head", "hr", "admin")}
    return SimpleNamespace(
        department_a=department_a,
        department_b=department_b,
        actors=actors,
        colleague=make_user("sales", department_a),
        outsider=make_user("sales", department_b),
        outsider_head=make_user("head", department_b),
    )


def chart_data(page: str) -> list[dict]:
    """The data of every chart of a page, in page order (what static/charts.js draws)."""
    return [json.loads(text) for text in re.findall(r'<script type="application/json" class="chart-data">(.*?)</script>', page, re.S)]


def login_as(client, user: User) -> None:
    """Put ``user`` in the client's session without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


@pytest.fixture
def csrf_on(app):
    """Turn CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


HTMX_HEADERS = {"HX-Request": "true"}


def customer_panels(client, customer_id: int) -> str:
    """The other areas' sections of a customer page, as the page loads them once it is shown
    (it points at them first)."""
    page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'hx-get="/customers/{customer_id}/panels"' in page
    response = client.get(f"/customers/{customer_id}/panels", headers={**HTMX_HEADERS, "HX-Target": "customer-panels"})
    assert response.status_code == 200
    return response.get_data(as_text=True)

"""The command-line forms administrators and scripts rely on."""
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Department, User


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_user_create_and_list(cli):
    result = cli.invoke(args=["user", "create", "liu.yang", "--role", "sales", "--department", "水果部",
                              "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    result = cli.invoke(args=["user", "create", "hr.wang", "--role", "hr", "--password", "long-enough-2"])
    assert result.exit_code == 0, result.output
    assert User.by_username("liu.yang").check_password("long-enough-1")
    listing = cli.invoke(args=["user", "list"])
    assert listing.output.splitlines() == ["hr.wang\thr\t\tyes", "liu.yang\tsales\t水果部\tyes"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--role", "sales", "--password", "long-enough-1"], "--department"),
        (["--role", "king", "--password", "long-enough-1"], "Invalid value"),
        (["--role", "hr", "--password", "short"], "at least 8"),
    ],
)
def test_user_create_refuses_bad_input(cli, arguments, message):
    result = cli.invoke(args=["user", "create", "someone", *arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert User.by_username("someone") is None


def test_user_create_refuses_an_existing_username(cli):
    cli.invoke(args=["user", "create", "liu", "--role", "hr", "--password", "long-enough-1"])
    result = cli.invoke(args=["user", "create", "liu", "--role", "hr", "--password", "long-enough-1"])
    assert result.exit_code != 0 and "exists" in result.output


def test_seed_demo_fills_an_empty_database_once(cli):
    result = cli.invoke(args=["seed-demo", "--password", "demo-pass-1"])
    assert result.exit_code == 0, result.output
    departments = set(db.session.scalars(select(Department.name)))
    assert {"水果部", "蔬菜部"} <= departments
    roles = {user.role for user in db.session.scalars(select(User))}
    assert roles == {"sales", "head", "hr", "admin"}
    assert User.by_username("liu.yang").check_password("demo-pass-1")
    again = cli.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "empty database" in again.output


def test_backup_writes_a_consistent_copy(app, cli, make_user):
    if db.engine.dialect.name != "sqlite":
        result = cli.invoke(args=["backup"])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    make_user("admin", username="boss")
    result = cli.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == Path(app.instance_path) / "backups"
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT username FROM users").fetchall() == [("boss",)]
    finally:
        copy.close()

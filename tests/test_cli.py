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
    _demo_has_contracts_in_every_state_and_targets()
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
    path = Path(result.stdout.strip())  # the path alone on standard output, for scripts
    assert path.parent == Path(app.instance_path) / "backups"
    assert "verified: integrity ok" in result.stderr
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT username FROM users").fetchall() == [("boss",)]
    finally:
        copy.close()


def test_backup_keeps_the_newest_copies(app, cli):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("flask backup copies the SQLite database")
    folder = Path(app.instance_path) / "backups"
    for old in folder.glob("portal-*.db"):
        old.unlink()
    made = [Path(cli.invoke(args=["backup", "--keep", "3"]).stdout.strip()) for _number in range(5)]
    assert sorted(folder.glob("portal-*.db")) == made[2:]
    app.config["BACKUP_KEEP"] = 1
    try:
        newest = Path(cli.invoke(args=["backup"]).stdout.strip())
    finally:
        app.config["BACKUP_KEEP"] = 14
    assert sorted(folder.glob("portal-*.db")) == [newest]
    assert cli.invoke(args=["backup", "--keep", "0"]).exit_code != 0


def _demo_has_contracts_in_every_state_and_targets():
    """Contracts from won quotes, fully and partly paid, overdue and unpaid; deliveries done, late and
    coming; monthly targets for the performance pages."""
    from portal.blueprints.contracts.queries import ContractFilters, list_contracts
    from portal.models import Contract, Delivery, SalesTarget
    from portal.rules.followups import company_today

    admin = db.session.scalar(select(User).where(User.role == "admin"))
    today = company_today()
    for status in ("paid", "partly_paid", "overdue"):
        assert list_contracts(admin, ContractFilters(payment=status), None, today).count > 0, status
    assert db.session.scalar(select(Contract).where(Contract.quote_id.is_not(None)).limit(1)) is not None
    deliveries = db.session.scalars(select(Delivery)).all()
    assert any(d.delivered_on for d in deliveries) and any(d.delivered_on is None and d.planned_on < today for d in deliveries)
    assert db.session.scalar(select(SalesTarget).limit(1)) is not None
    # Every value grade and every churn rule has an example.
    from portal.models import ChurnFlag, Customer

    grades = set(db.session.scalars(select(Customer.value_grade).where(Customer.value_grade.is_not(None))))
    assert grades == {"AA", "AB", "BA", "BB"}, grades
    rules = {rule for flag in db.session.scalars(select(ChurnFlag)) for rule in flag.rules.split(",")}
    assert rules == {"interval", "quiet", "fall"}, rules
    # Customers in the pool, and some due to return to it within days.
    from portal.blueprints.pool.reminders import about_to_be_recycled
    from portal.database import utcnow

    assert db.session.scalar(select(Customer).where(Customer.pool_since.is_not(None)).limit(1)) is not None
    salespeople = db.session.scalars(select(User).where(User.role == "sales")).all()
    assert any(about_to_be_recycled(person.id, utcnow()) for person in salespeople)

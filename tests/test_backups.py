"""Backups that restore: `flask backup` verifies its copy, `flask restore` refuses a damaged file,
keeps the replaced database aside, and a backup taken while another thread writes restores to
exactly the rows committed before it. On PostgreSQL: pg_dump and pg_restore as README's
Operations section says, with every table's row count compared."""
import os
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.backups import BackupError, check_database
from portal.extensions import db
from portal.models import Department


@pytest.fixture
def spare(tmp_path):
    """A portal of its own on a SQLite file under tmp_path, migrated, whatever the suite's database."""
    instance = tmp_path / "instance"
    spare_app = create_app(
        {
            "SECRET_KEY": "spare-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}",
            "RATELIMIT_STORAGE_URI": "memory://",
        },
        instance_path=str(instance),
    )
    with spare_app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    yield spare_app
    with spare_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _invoke(spare_app, *args, **options):
    """The command run on ``spare_app`` (the suite's app context is open: the command would use it)."""
    with spare_app.app_context():
        return spare_app.test_cli_runner().invoke(args=list(args), **options)


def _department_names(spare_app) -> list[str]:
    with spare_app.app_context():
        names = list(db.session.scalars(select(Department.name).order_by(Department.name)))
        db.session.remove()
        return names


def _add_departments(spare_app, names):
    with spare_app.app_context():
        for name in names:
            db.session.add(Department(name=name))
        db.session.commit()


def test_a_backup_taken_while_another_thread_writes_restores_to_exactly_the_rows_committed_before_it(spare):
    committed, stop = [], threading.Event()

    def write():
        number = 0
        while not stop.is_set() and number < 5000:
            number += 1
            with spare.app_context():  # a request of its own each time, as the portal's writers
                db.session.add(Department(name=f"d{number:05d}"))
                db.session.commit()
            committed.append(number)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(committed) < 20:
            stop.wait(0.01)
        before = len(committed)
        result = _invoke(spare, "backup")
        after = len(committed)
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "verified: integrity ok" in result.stderr
    backup_file = Path(result.stdout.strip())
    total = len(committed)
    assert 20 <= before <= after <= total

    result = _invoke(spare, "restore", str(backup_file), "--yes")
    assert result.exit_code == 0, result.output
    names = _department_names(spare)
    restored = len(names)
    assert names == [f"d{number:05d}" for number in range(1, restored + 1)]  # a prefix: no gap, nothing half-written
    assert before <= restored <= after  # every row committed before the backup, none after it
    aside = next(Path(spare.instance_path).glob("portal.db.before-restore-*"))
    assert check_database(aside)["departments"] == total  # the replaced database is kept, whole
    _add_departments(spare, ["after the restore"])  # the restored database takes writes
    assert len(_department_names(spare)) == restored + 1


def _damage(path: Path) -> None:
    """Overwrite the middle of the file, where the tables' pages are."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = b"\xa5" * 8192
    path.write_bytes(bytes(data))


def test_restore_refuses_a_file_that_fails_the_check_and_changes_nothing(spare, tmp_path):
    _add_departments(spare, ["水果部", "蔬菜部"])
    backup_file = Path(_invoke(spare, "backup").stdout.strip())
    damaged = tmp_path / "damaged.db"
    shutil.copy(backup_file, damaged)
    _damage(damaged)
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("not a database")
    _add_departments(spare, ["后来的部门"])
    for bad, message in [(damaged, "refused"), (not_sqlite, "damaged or not a SQLite database"),
                         (tmp_path / "missing.db", "no such file")]:
        result = _invoke(spare, "restore", str(bad), "--yes")
        assert result.exit_code != 0 and message in result.output, (bad, result.output)
    with pytest.raises(BackupError):
        check_database(damaged)
    assert _department_names(spare) == ["后来的部门", "水果部", "蔬菜部"]
    assert list(Path(spare.instance_path).glob("portal.db.before-restore-*")) == []


def test_restore_refuses_while_the_database_is_open_and_asks_first(spare):
    _add_departments(spare, ["水果部"])
    backup_file = Path(_invoke(spare, "backup").stdout.strip())
    _add_departments(spare, ["蔬菜部"])
    outside = create_engine(spare.config["SQLALCHEMY_DATABASE_URI"])  # the portal, still running
    try:
        with outside.connect() as connection:
            connection.execute(text("PRAGMA journal_mode=WAL"))
            connection.execute(text("SELECT count(*) FROM departments"))
            result = _invoke(spare, "restore", str(backup_file), "--yes")
            assert result.exit_code != 0 and "stop the portal first" in result.output
    finally:
        outside.dispose()
    assert _department_names(spare) == ["水果部", "蔬菜部"]
    result = _invoke(spare, "restore", str(backup_file), input="n\n")
    assert result.exit_code != 0 and _department_names(spare) == ["水果部", "蔬菜部"]
    result = _invoke(spare, "restore", str(backup_file), input="y\n")
    assert result.exit_code == 0, result.output
    assert _department_names(spare) == ["水果部"]


def test_backup_and_restore_say_what_to_use_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("runs on the PostgreSQL leg")
    runner = app.test_cli_runner()
    assert "pg_dump" in runner.invoke(args=["backup"]).output
    assert "pg_restore" in runner.invoke(args=["restore", __file__, "--yes"]).output


def _libpq(url) -> list[str]:
    """pg_dump/pg_restore connection options for a SQLAlchemy URL."""
    options = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    return options


def test_pg_dump_restores_into_a_new_database_with_every_row(app, tmp_path):
    """README Operations: pg_dump --format=custom, then pg_restore into a new database."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("runs on the PostgreSQL leg (PORTAL_TEST_DATABASE_URL)")
    _add_some_rows()
    source_url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    dump = tmp_path / "portal.dump"
    environment = {**os.environ, **({"PGPASSWORD": source_url.password} if source_url.password else {})}
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), *_libpq(source_url), source_url.database],
                   check=True, env=environment, timeout=300)
    copy_name = f"portal_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(source_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{copy_name}"'))
        try:
            subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *_libpq(source_url), "-d", copy_name, str(dump)],
                           check=True, env=environment, timeout=300)
            copy = create_engine(source_url.set(database=copy_name))
            try:
                expected, restored = _pg_row_counts(db.engine), _pg_row_counts(copy)
            finally:
                copy.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    assert expected["departments"] == 3 and expected["alembic_version"] == 1
    assert restored == expected


def _add_some_rows():
    for name in ("水果部", "蔬菜部", "快递部"):
        db.session.add(Department(name=name))
    db.session.commit()


def _pg_row_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = connection.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).all()
        return {table: connection.scalar(select(func.count()).select_from(text(f'"{table}"'))) for table in tables}

"""Command-line tools for administrators and scripts.

    flask --app portal user create USERNAME --role ROLE [--department NAME] --password PASSWORD
    flask --app portal user list
    flask --app portal seed-demo [--password PASSWORD]
    flask --app portal backup
    flask --app portal prune-submission-keys [--days DAYS]
"""
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.models import Department, Role, User
from portal.security import MIN_PASSWORD_LENGTH

user_cli = AppGroup("user", help="Manage user accounts.")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--department", "department_name", default=None, help="Department name; created if missing.")
@click.option("--password", required=True)
@click.option("--display-name", default=None)
def create_user(username, role, department_name, password, display_name):
    """Create a user account."""
    if User.by_username(username):
        raise click.ClickException(f"user {username!r} exists already")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role in (Role.SALES, Role.HEAD) and not department_name:
        raise click.ClickException("salespeople and department heads need --department")
    department = None
    if department_name:
        department = db.session.scalar(select(Department).where(Department.name == department_name))
        if department is None:
            department = Department(name=department_name)
            db.session.add(department)
            click.echo(f"created department {department_name}")
    user = User(username=username, display_name=display_name or username, role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created user {username} ({role})")


@user_cli.command("list")
def list_users():
    """One user per line: username, role, department, active (tab-separated)."""
    users = db.session.scalars(select(User).order_by(User.username))
    for user in users:
        click.echo("\t".join([user.username, user.role, user.department_name, "yes" if user.active else "no"]))


@click.command("seed-demo")
@click.option("--password", default="demo1234", show_default=True, help="Password of every demo account.")
def seed_demo(password):
    """Fill an empty database with a demo company."""
    from portal.seed import DemoError, seed_demo_company

    try:
        accounts = seed_demo_company(password)
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"demo company created; every account's password is {password!r}")
    for user in accounts:
        click.echo("\t".join([user.username, user.role, user.department_name]))


@click.command("backup")
def backup():
    """Copy the SQLite database, consistently and while in use, into instance/backups/."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException("backup copies the SQLite database; for PostgreSQL use pg_dump")
    source_path = engine.url.database
    target_dir = Path(current_app.instance_path) / "backups"
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target_path = target_dir / f"portal-{stamp}.db"
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    click.echo(str(target_path))


@click.command("prune-submission-keys")
@click.option("--days", default=None, type=click.IntRange(1, 3650), help="Keep the keys of this many days (default 30).")
def prune_submission_keys(days):
    """Delete the one-time keys of create forms older than DAYS days (nightly)."""
    from portal.submissions import KEEP_DAYS, prune_submission_keys as prune

    click.echo(f"deleted {prune(days or KEEP_DAYS)} submission keys")


def register_commands(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup)
    app.cli.add_command(prune_submission_keys)

"""The access log (访问日志): exports and customer page views by person and day for the
administrator and a head (their department), its export, and the alerts on My day."""
import click
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import ADMINISTRATION, NavItem, register_nav_item

bp = Blueprint("access_log", __name__)

register_nav_item(NavItem("access_log.index", _l("Access log"), frozenset({Role.HEAD, Role.ADMIN})), group=ADMINISTRATION)


@click.command("prune-access-log")
@click.option("--days", default=None, type=click.IntRange(1, 3650), help="Keep this many days (default: the setting).")
def prune_access_log_command(days):
    """Delete the access log's rows older than the kept number of days (nightly)."""
    from portal.access_log import prune_access_log

    click.echo(f"deleted {prune_access_log(days)} access log rows")


@click.command("report-inactive-owners")
def report_inactive_owners_command():
    """List the customers whose owner is deactivated, per department (nightly)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Customer, Department, User

    stmt = (
        select(Department.name, User.display_name, func.count())
        .select_from(Customer).join(User, User.id == Customer.owner_id)
        .outerjoin(Department, Department.id == Customer.department_id)
        .where(User.active.is_(False), Customer.archived_at.is_(None), Customer.pool_since.is_(None))
        .group_by(Department.name, User.display_name).order_by(Department.name, User.display_name)
    )
    rows = db.session.execute(stmt).all()
    for department, owner, count in rows:
        click.echo(f"{department or '-'}\t{owner}\t{count}")
    click.echo(f"{sum(count for *_rest, count in rows)} customers owned by deactivated users")


@bp.record_once
def _add_commands(state) -> None:
    state.app.cli.add_command(prune_access_log_command)
    state.app.cli.add_command(report_inactive_owners_command)


from portal.blueprints.access_log import reminders, routes  # noqa: E402,F401

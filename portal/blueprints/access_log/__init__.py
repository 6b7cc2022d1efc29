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


@bp.record_once
def _add_commands(state) -> None:
    state.app.cli.add_command(prune_access_log_command)


from portal.blueprints.access_log import reminders, routes  # noqa: E402,F401

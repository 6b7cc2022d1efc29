"""The customer pool (公海): customers their owners neglect go back to the department's pool by
rules per intention grade and stage; colleagues claim them within limits, heads assign them."""
import click
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.company_settings import SettingDefinition, register_setting
from portal.models import Role
from portal.navigation import CUSTOMERS, NavItem, register_nav_item

bp = Blueprint("pool", __name__)

POOL = _l("Customer pool")
for _setting in (
    SettingDefinition("pool.max_owned", _l("Most customers one salesperson may own"), kind="int", default=300, group=POOL, minimum=1, maximum=100000),
    SettingDefinition("pool.claims_per_day", _l("Most pool customers one salesperson may claim a day"), kind="int", default=10, group=POOL, minimum=1, maximum=1000),
    SettingDefinition("pool.claim_back_days", _l("Days before a salesperson may claim back a customer the pool took from them"), kind="int", default=30, group=POOL, minimum=0, maximum=3650),
    SettingDefinition("pool.lock_limit", _l("Key customers one salesperson may lock"), kind="int", default=5, group=POOL, minimum=0, maximum=1000),
):
    register_setting(_setting)

register_nav_item(NavItem("pool.index", _l("Customer pool"), frozenset({Role.SALES, Role.HEAD, Role.ADMIN})), group=CUSTOMERS,
                  before="lost.customers")


@click.command("recycle-customers")
def recycle_customers_command():
    """Return neglected customers to their department's pool (cron, e.g. every night)."""
    from portal.blueprints.pool.compute import run_recycle
    from portal.database import utcnow
    from portal.extensions import db

    moved = run_recycle(utcnow())
    db.session.commit()
    click.echo(f"{moved} customers returned to the pool")


@bp.record_once
def _add_commands(state) -> None:
    state.app.cli.add_command(recycle_customers_command)


from portal.blueprints.pool import demo, panels, reminders, routes  # noqa: E402,F401

"""Lost orders (丢单管理): records without a quote, the head's review, and the analysis (丢单分析)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import ANALYSIS, CUSTOMERS, NavItem, register_nav_item

bp = Blueprint("lost", __name__, url_prefix="/lost")

register_nav_item(NavItem("lost.analysis", _l("Lost orders"), frozenset({Role.HEAD, Role.ADMIN})), group=ANALYSIS)
register_nav_item(NavItem("lost.customers", _l("Lost customers"), frozenset({Role.SALES, Role.HEAD, Role.ADMIN})), group=CUSTOMERS)

from portal.blueprints.lost import panels, reminders, routes  # noqa: E402,F401

"""Sales performance (销售业绩管理): metrics per salesperson, department and company, monthly targets,
trends, and the HR performance sheets (业绩考核表) as formatted workbooks."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import ANALYSIS, NavItem, register_nav_item

bp = Blueprint("performance", __name__, url_prefix="/performance")

register_nav_item(NavItem("performance.index", _l("Performance"), frozenset(Role)), group=ANALYSIS)

from portal.blueprints.performance import demo, routes  # noqa: E402,F401

"""The shared customer register: list and search, customers, contacts, duplicates, merge, handover."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import CUSTOMERS, NavItem, register_nav_item

bp = Blueprint("customers", __name__)

register_nav_item(NavItem("customers.index", _l("Customers"), frozenset({Role.SALES, Role.HEAD, Role.ADMIN})), group=CUSTOMERS)

from portal.blueprints.customers import demo, import_routes, routes  # noqa: E402,F401

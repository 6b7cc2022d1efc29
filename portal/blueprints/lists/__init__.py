"""Lists of values the administrator keeps (基础资料设置): customer types, sources…"""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import ADMINISTRATION, NavItem, register_nav_item

bp = Blueprint("lists", __name__)

register_nav_item(NavItem("lists.index", _l("Lists"), frozenset({Role.ADMIN})), group=ADMINISTRATION, before="admin.archived")

from portal.blueprints.lists import routes  # noqa: E402,F401

"""Settings (系统设置): company settings the areas declare, and the follow-up policy per intention
grade (意向客户分级)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models import Role
from portal.navigation import ADMINISTRATION, NavItem, register_nav_item

bp = Blueprint("settings", __name__)

register_nav_item(NavItem("settings.company", _l("Settings"), frozenset({Role.ADMIN})), group=ADMINISTRATION, before="admin.archived")
register_nav_item(NavItem("settings.grades", _l("Grade policy"), frozenset({Role.ADMIN})), group=ADMINISTRATION, before="admin.archived")

from portal.blueprints.settings import routes  # noqa: E402,F401

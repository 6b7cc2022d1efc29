"""Complaints and suggestions (投诉和建议): intake from anywhere a customer speaks up, a handler with
a response deadline by severity, the steps to resolution and the customer's satisfaction."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.blueprints.customers.operations import register_customer_reference
from portal.company_settings import SettingDefinition, register_setting
from portal.lookups import register_lookup_list
from portal.models import COMPLAINT_CATEGORY, Complaint, Role
from portal.navigation import CUSTOMERS, NavItem, register_nav_item

bp = Blueprint("complaints", __name__)

COMPLAINTS = _l("Complaints")
for _severity, _label, _hours in (("urgent", _l("Respond to an urgent complaint within (hours)"), 4),
                                  ("serious", _l("Respond to a serious complaint within (hours)"), 24),
                                  ("normal", _l("Respond to a normal complaint within (hours)"), 24)):
    register_setting(SettingDefinition(f"complaints.hours_{_severity}", _label, kind="int", default=_hours,
                                       group=COMPLAINTS, minimum=1, maximum=720))
register_lookup_list(COMPLAINT_CATEGORY, _l("Complaint categories"), defaults=("产品质量", "交期", "服务态度", "价格", "其他"))
register_customer_reference(Complaint)
register_nav_item(NavItem("complaints.index", _l("Complaints"), frozenset({Role.SALES, Role.HEAD, Role.ADMIN})),
                  group=CUSTOMERS)

from portal.blueprints.complaints import demo, panels, reminders, routes  # noqa: E402,F401

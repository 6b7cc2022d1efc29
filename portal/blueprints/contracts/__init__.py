"""Sales contracts (销售合同管理): models bought, payment plan and payments received, deliveries
with their addresses and delivery notes, the scanned contract."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.blueprints.customers.operations import register_customer_reference
from portal.company_settings import SettingDefinition, register_setting
from portal.models import Contract, Delivery, Payment, Role
from portal.navigation import SALES, NavItem, register_nav_item

bp = Blueprint("contracts", __name__)

CONTRACTS = _l("Contracts")
register_setting(SettingDefinition("contracts.prefix", _l("Contract number prefix"), default="HT", group=CONTRACTS,
                                   max_length=10, hint=_l("Contract numbers read <prefix><year>-0001.")))
# Requests are capped at 32 MB (MAX_CONTENT_LENGTH), so the setting stays below that.
register_setting(SettingDefinition("contracts.scan_max_mb", _l("Largest scanned contract (MB)"), kind="int", default=10,
                                   group=CONTRACTS, minimum=1, maximum=30))
register_setting(SettingDefinition(
    "contract.terms", _l("Contract terms"), kind="textarea", default="", group=CONTRACTS, max_length=6000,
    hint=_l("Printed on every contract document under the lines and amounts: quality, acceptance, liability, disputes."),
))

# A merged customer's contracts, payments and deliveries move to the customer that stays.
for _model in (Contract, Payment, Delivery):
    register_customer_reference(_model)

_CONTRACT_ROLES = frozenset({Role.SALES, Role.HEAD, Role.ADMIN})
for _endpoint, _label in (("contracts.index", _l("Contracts")), ("contracts.payments", _l("Payments received")),
                          ("contracts.deliveries", _l("Deliveries"))):
    register_nav_item(NavItem(_endpoint, _label, _CONTRACT_ROLES), group=SALES, before="quotes.products")

from portal.blueprints.contracts import demo, panels, reminders, routes  # noqa: E402,F401

"""Products, quotes (报价管理) and lost orders recorded from them; competitors for the analysis."""
from decimal import Decimal

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.blueprints.customers.operations import register_customer_reference
from portal.company_settings import SettingDefinition, register_setting
from portal.lookups import register_lookup_list
from portal.models import LOST_REASON, PRODUCT_CATEGORY, CustomerLoss, LostOrder, Quote, Role
from portal.navigation import ADMINISTRATION, SALES, NavItem, register_nav_item

bp = Blueprint("quotes", __name__)

QUOTES = _l("Quotes")
register_setting(SettingDefinition("quotes.prefix", _l("Quote number prefix"), default="BJ", group=QUOTES, max_length=10,
                                   hint=_l("Quote numbers read <prefix><year>-0001.")))
register_setting(SettingDefinition("quotes.valid_days", _l("Quotes valid for (days)"), kind="int", default=30,
                                   group=QUOTES, minimum=1, maximum=365))
register_setting(SettingDefinition("quotes.tax_rate", _l("Tax rate on quotes (%)"), kind="decimal", default=Decimal("13"),
                                   group=QUOTES, minimum=Decimal("0"), maximum=Decimal("100")))
register_lookup_list(PRODUCT_CATEGORY, _l("Product categories"))
register_lookup_list(
    LOST_REASON,
    _l("Reasons for lost orders"),
    defaults=("价格", "质量", "交期", "服务", "关系", "付款条件", "需求取消", "其他"),
)

# A merged customer's quotes and losses move to the customer that stays.
for _model in (Quote, LostOrder, CustomerLoss):
    register_customer_reference(_model)

QUOTE_ROLES = frozenset({Role.SALES, Role.HEAD, Role.ADMIN})
register_nav_item(NavItem("quotes.index", _l("Quotes"), QUOTE_ROLES), group=SALES)
register_nav_item(NavItem("quotes.products", _l("Products"), frozenset(Role)), group=SALES)
register_nav_item(NavItem("quotes.competitors", _l("Competitors"), frozenset({Role.ADMIN})), group=ADMINISTRATION,
                  before="admin.archived")

from portal.blueprints.quotes import demo, panels, reminders, routes  # noqa: E402,F401

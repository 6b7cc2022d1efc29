"""The customer page's pool section: in the pool since when, or when the rules would return it, and
the lock that keeps a key customer."""
from flask_babel import gettext as _

from portal.access import Area, can_see_area
from portal.blueprints.pool.compute import customer_plan
from portal.forms import ConfirmForm
from portal.panels import Panel, register_panel


@register_panel("customer")
def customer_pool_panel(customer, user) -> Panel | None:
    if not can_see_area(user, Area.CUSTOMER_DATA) or customer.archived_at is not None:
        return None
    plan = customer_plan(customer)
    return Panel(_("Customer pool"), "pool/_customer_pool.html", {"customer": customer, "plan": plan, "confirm": ConfirmForm()}, order=60)


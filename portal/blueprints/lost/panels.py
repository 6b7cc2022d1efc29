"""The customer page's lost-order section: the customer's losses and the ways to record one."""
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from portal.access import Area, can_see_area
from portal.extensions import db
from portal.models import CustomerLoss, LostOrder, Stage
from portal.panels import Panel, register_panel


@register_panel("customer")
def customer_losses_panel(customer, user) -> Panel | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    lost_orders_statement, losses_statement = _statements()
    lost_orders = db.session.scalars(lost_orders_statement, {"customer_id": customer.id}).all()
    losses = db.session.scalars(losses_statement, {"customer_id": customer.id}).all()
    context = {"customer": customer, "lost_orders": lost_orders, "losses": losses, "signed": customer.stage == Stage.SIGNED.value}
    return Panel(_("Lost orders and losses"), "lost/_customer_panel.html", context, order=30)


@lru_cache(maxsize=1)
def _statements():
    """(the customer's latest lost orders, its losses), the customer bound when they run: built
    once, as every customer page runs them."""
    customer_id = bindparam("customer_id", type_=Integer)
    return (
        select(LostOrder).options(joinedload(LostOrder.reason), joinedload(LostOrder.competitor))
        .where(LostOrder.customer_id == customer_id, LostOrder.archived_at.is_(None))
        .order_by(LostOrder.lost_on.desc()).limit(10),
        select(CustomerLoss).options(joinedload(CustomerLoss.reason), joinedload(CustomerLoss.competitor))
        .where(CustomerLoss.customer_id == customer_id, CustomerLoss.archived_at.is_(None))
        .order_by(CustomerLoss.lost_on.desc()),
    )

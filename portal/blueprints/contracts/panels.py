"""The customer page's purchase history, and the contract of a won quote on the quote page."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.access import Area, can_see_area, scope_clause
from portal.blueprints.contracts.queries import purchase_history
from portal.extensions import db
from portal.models import CONTRACT_STATUS_LABELS, Contract
from portal.panels import Panel, register_panel
from portal.rules.followups import company_today
from portal.rules.quotes import WON


@register_panel("customer")
def customer_purchases_panel(customer, user) -> Panel | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    context = {"history": purchase_history(customer.id, user, company_today()), "customer": customer,
               "status_labels": CONTRACT_STATUS_LABELS}
    return Panel(_("Purchase history"), "contracts/_customer_contracts.html", context, order=25)


@register_panel("quote")
def quote_contract_panel(quote, user) -> Panel | None:
    """A won quote's contract, or the button that makes one."""
    if quote.status != WON or not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    contract = db.session.scalar(select(Contract).where(
        Contract.quote_id == quote.id, Contract.archived_at.is_(None), scope_clause(Contract, user)))
    return Panel(_("Contract"), "contracts/_quote_contract.html", {"contract": contract, "quote": quote}, order=10)

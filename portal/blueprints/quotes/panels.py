"""The customer page's quotes section."""
from flask_babel import gettext as _

from portal.access import can_see_area, Area
from portal.blueprints.quotes.queries import customer_quotes
from portal.models import QUOTE_STATUS_LABELS
from portal.panels import Panel, register_panel
from portal.rules.followups import company_today
from portal.rules.quotes import effective_status


@register_panel("customer")
def customer_quotes_panel(customer, user) -> Panel | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    today = company_today()
    quotes = [(quote, effective_status(quote.status, quote.valid_until, today)) for quote in customer_quotes(customer.id, user)]
    context = {"quotes": quotes, "status_labels": QUOTE_STATUS_LABELS, "customer": customer}
    return Panel(_("Quotes"), "quotes/_customer_quotes.html", context, order=20)

"""Access rules of products, quotes and competitors."""
from access_matrix import ADMIN_ONLY, CUSTOMER_SCOPED, EVERYONE, OK, Rule
from quotes_factories import make_competitor, make_product, make_quote

QUOTE_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
HEADS_AND_ADMIN = {"sales": 403, "head": OK, "hr": 403, "admin": OK}
# Starting a quote needs a quoting role (HR: 403), then the customer's scope.
QUOTE_NEW = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}


def _quote_records(world, scope, records):
    records.product = make_product(code=f"P-{scope}")
    records.quote = make_quote(records.customer, lines=[("苹果", "10", "128.00", "0")])
    records.line = records.quote.lines[0]
    records.competitor = make_competitor(f"竞争对手{scope}")


def _quote(records):
    return {"quote_id": records.quote.id}


def _line(records):
    return {"quote_id": records.quote.id, "line_id": records.line.id}


RECORD_BUILDERS = [_quote_records]

RULES = [
    Rule("quotes.index", QUOTE_ROLES),
    Rule("quotes.choose_customer", QUOTE_ROLES),
    Rule("quotes.export", QUOTE_ROLES),
    Rule("quotes.new", QUOTE_NEW, url_args=lambda r: {"customer_id": r.customer.id}),
    Rule("quotes.new", QUOTE_NEW, url_args=lambda r: {"customer_id": r.customer.id}, method="POST",
         data={"quote_date": "2026-11-01", "valid_until": "2026-12-01", "tax_rate": "13"}),
    Rule("quotes.detail", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.edit", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.edit", CUSTOMER_SCOPED, url_args=_quote, method="POST", data={"tax_rate": "9"}),
    Rule("quotes.line_add", CUSTOMER_SCOPED, url_args=_quote, method="POST", data={"name": "香蕉", "quantity": "1", "unit_price": "5"}),
    Rule("quotes.line_edit", CUSTOMER_SCOPED, url_args=_line),
    Rule("quotes.line_edit", CUSTOMER_SCOPED, url_args=_line, method="POST", data={"name": "梨", "quantity": "2", "unit_price": "5"}),
    Rule("quotes.line_remove", CUSTOMER_SCOPED, url_args=_line),
    Rule("quotes.line_remove", CUSTOMER_SCOPED, url_args=_line, method="POST"),
    Rule("quotes.archive", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.archive", CUSTOMER_SCOPED, url_args=_quote, method="POST"),
    Rule("quotes.send", CUSTOMER_SCOPED, url_args=_quote, method="POST"),
    Rule("quotes.revise", CUSTOMER_SCOPED, url_args=_quote, method="POST"),
    Rule("quotes.won", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.lost", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.print_view", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.pdf", CUSTOMER_SCOPED, url_args=_quote),
    Rule("quotes.products", EVERYONE),
    Rule("quotes.product_new", HEADS_AND_ADMIN),
    Rule("quotes.product_edit", HEADS_AND_ADMIN, url_args=lambda r: {"product_id": r.product.id}),
    Rule("quotes.product_archive", HEADS_AND_ADMIN, url_args=lambda r: {"product_id": r.product.id}),
    Rule("quotes.competitors", ADMIN_ONLY),
    Rule("quotes.competitors", ADMIN_ONLY, method="POST", data={"name": "新竞争对手"}),
    Rule("quotes.competitor_merge", ADMIN_ONLY, url_args=lambda r: {"competitor_id": r.competitor.id}),
    Rule("audit.history", CUSTOMER_SCOPED, url_args=lambda r: {"record_type": "quotes", "record_id": r.quote.id}),
]

"""What the search box finds, by kind, each kind read through its area's scoped, indexed queries.

- Quotes and contracts by number (``portal.rules.search.number_query``): the year and sequence go
  to the unique (year, sequence…) index — a number typed without its year is looked up in each
  year from the first to the last on record, one index probe each.
- Customers by name, contact name or phone fragment: the customer list's query
  (``list_customers``), which reads the bigram search index (``portal/search.py``).
- Products by code, name or model: the catalogue's search (a short table).
"""
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.access import Area, can_see_area, scope_clause
from portal.blueprints.customers.queries import CustomerFilters, list_customers
from portal.blueprints.quotes.queries import search_products
from portal.company_settings import get_setting
from portal.extensions import db
from portal.models import Contract, Customer, Quote
from portal.rules.search import fold, number_query, phone_fragment, searches_names

KIND_LABELS = {
    "quotes": _l("Quotes"),
    "contracts": _l("Contracts"),
    "customers": _l("Customers"),
    "products": _l("Products"),
}


@dataclass
class Hit:
    label: str
    detail: str
    url: str


@dataclass
class Group:
    kind: str
    hits: list[Hit]
    more_url: str | None = None

    @property
    def label(self):
        return KIND_LABELS[self.kind]


@dataclass
class Results:
    query: str
    groups: list[Group] = field(default_factory=list)

    @property
    def hits(self) -> list[Hit]:
        return [hit for group in self.groups for hit in group.hits]


def _numbered(model, user, wanted, limit: int, *extra) -> list:
    """Rows of ``model`` (quotes or contracts) with the number ``wanted``, inside ``user``'s scope."""
    if wanted.year is not None:
        years = [wanted.year]
    else:
        # Two subqueries: each is one step at an end of the (year, sequence…) index.
        first, last = db.session.execute(
            select(select(func.min(model.year)).scalar_subquery(), select(func.max(model.year)).scalar_subquery())
        ).one()
        if first is None:
            return []
        years = list(range(first, last + 1))
    stmt = (
        select(model.id, model.number, Customer.name.label("customer_name"))
        .join(Customer, Customer.id == model.customer_id)
        .where(model.year.in_(years), model.sequence == wanted.sequence, model.archived_at.is_(None),
               scope_clause(model, user), *extra)
        .order_by(model.year.desc(), model.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(stmt))


def _prefix_allows(wanted, setting_key: str) -> bool:
    return not wanted.prefix or wanted.prefix == str(get_setting(setting_key)).upper()


def search(user, text: str, limit: int = 8) -> Results:
    """Up to ``limit`` records of each kind that ``text`` names and ``user`` may see: quotes and
    contracts first (a number is the most precise thing one types), then customers, then products."""
    query = fold(text)
    results = Results(query=(text or "").strip()[:100])
    if not query:
        return results
    customer_data = can_see_area(user, Area.CUSTOMER_DATA)
    wanted = number_query(query)
    if customer_data and wanted is not None:
        if _prefix_allows(wanted, "quotes.prefix"):
            revision = [Quote.revision == wanted.revision] if wanted.revision else [Quote.is_latest.is_(True)]
            rows = _numbered(Quote, user, wanted, limit, *revision)
            if rows:
                results.groups.append(Group("quotes", [
                    Hit(row.number, row.customer_name, url_for("quotes.detail", quote_id=row.id)) for row in rows
                ]))
        if _prefix_allows(wanted, "contracts.prefix") and wanted.revision is None:
            rows = _numbered(Contract, user, wanted, limit)
            if rows:
                results.groups.append(Group("contracts", [
                    Hit(row.number, row.customer_name, url_for("contracts.detail", contract_id=row.id)) for row in rows
                ]))
    if customer_data and searches_names(query):
        term = phone_fragment(query) or query
        page = list_customers(user, CustomerFilters(q=term), None, page_size=limit)
        if page.rows:
            results.groups.append(Group(
                "customers",
                [Hit(row.name, " ".join(part for part in (row.mobile or row.phone, row.owner_name) if part),
                     url_for("customers.detail", customer_id=row.id)) for row in page.rows],
                more_url=url_for("customers.index", q=term) if page.next_cursor else None,
            ))
    if searches_names(query):
        products = search_products(query, limit=limit + 1)
        if products:
            results.groups.append(Group(
                "products",
                [Hit(f"{product.code} {product.name}", product.spec, url_for("quotes.products", q=product.code))
                 for product in products[:limit]],
                more_url=url_for("quotes.products", q=query) if len(products) > limit else None,
            ))
    return results

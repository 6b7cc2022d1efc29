"""Quote numbering, the scoped quote list with its totals, and the catalogue search."""
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select

from portal.access import person_parameters, scope_clause, someone
from portal.extensions import db
from portal.numbering import take_yearly_number
from portal.forms import date_or_none, decimal_or_none, int_or_none, like_pattern
from portal.models import (
    Competitor, Customer, CustomerLoss, Product, Quote, QuoteCounter, QuoteLine, QuoteStatus, Role, Stage, User,
)
from portal.rules.quotes import EXPIRED, OPEN_STATUSES

PAGE_SIZE = 25


def take_quote_sequence(year: int) -> int:
    """The next quote number of ``year`` (gap-free; see ``portal.numbering``)."""
    return take_yearly_number(QuoteCounter, year)


def status_condition(status: str, today: date):
    """The SQL form of ``rules.quotes.effective_status``: the quotes whose status is ``status`` today."""
    still_valid = Quote.valid_until >= today
    if status == EXPIRED:
        return and_(Quote.status.in_(OPEN_STATUSES), Quote.valid_until < today)
    if status in OPEN_STATUSES:
        return and_(Quote.status == status, still_valid)
    return Quote.status == status


@dataclass
class QuoteFilters:
    """The list's filters from the query string; a malformed value is ignored, never an error."""

    status: str = ""
    q: str = ""
    owner: int | None = None
    customer: int | None = None
    product: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    # Quotes decided (won or lost) in a period: the performance pages drill down with these.
    decided_from: date | None = None
    decided_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "QuoteFilters":
        status = args.get("status", "")
        return cls(
            status=status if status in {s.value for s in QuoteStatus} else "",
            q=unicodedata.normalize("NFKC", args.get("q", "")).strip()[:100],
            owner=int_or_none(args.get("owner")),
            customer=int_or_none(args.get("customer")),
            product=int_or_none(args.get("product")),
            date_from=date_or_none(args.get("from")),
            date_to=date_or_none(args.get("to")),
            amount_min=decimal_or_none(args.get("min")),
            amount_max=decimal_or_none(args.get("max")),
            decided_from=date_or_none(args.get("decided_from")),
            decided_to=date_or_none(args.get("decided_to")),
        )

    def as_args(self) -> dict:
        values = {
            "status": self.status, "q": self.q, "owner": self.owner, "customer": self.customer,
            "product": self.product, "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "min": self.amount_min, "max": self.amount_max,
            "decided_from": self.decided_from.isoformat() if self.decided_from else None,
            "decided_to": self.decided_to.isoformat() if self.decided_to else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def _conditions(user, filters: QuoteFilters, today: date) -> list:
    conditions = [Quote.archived_at.is_(None), Quote.is_latest.is_(True), scope_clause(Quote, user)]
    if filters.status:
        conditions.append(status_condition(filters.status, today))
    if filters.q:
        term = like_pattern(filters.q.lower())
        conditions.append(or_(func.lower(Quote.number).like(term, escape="\\"), Customer.name.like(like_pattern(filters.q), escape="\\")))
    if filters.owner:
        conditions.append(Quote.owner_id == filters.owner)
    if filters.customer:
        conditions.append(Quote.customer_id == filters.customer)
    if filters.product:
        conditions.append(
            exists().where(QuoteLine.quote_id == Quote.id, QuoteLine.product_id == filters.product, QuoteLine.archived_at.is_(None))
        )
    if filters.date_from:
        conditions.append(Quote.quote_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Quote.quote_date <= filters.date_to)
    if filters.amount_min is not None:
        conditions.append(Quote.amount_gross >= filters.amount_min)
    if filters.amount_max is not None:
        conditions.append(Quote.amount_gross <= filters.amount_max)
    if filters.decided_from:
        conditions.append(Quote.decided_on >= filters.decided_from)
    if filters.decided_to:
        conditions.append(Quote.decided_on <= filters.decided_to)
    return conditions


@dataclass
class QuotePage:
    rows: list
    next_cursor: int | None
    count: int
    total: Decimal


_ROW_COLUMNS = (
    Quote.id, Quote.number, Quote.quote_date, Quote.valid_until, Quote.status, Quote.amount_gross,
    Quote.customer_id, Customer.name.label("customer_name"), User.display_name.label("owner_name"),
)


def list_quotes(user, filters: QuoteFilters, after: int | None, today: date, page_size: int = PAGE_SIZE,
                with_totals: bool = True) -> QuotePage:
    """One keyset page (newest first) of the newest revisions ``user`` may see, with the count and
    the total with tax of everything the filters select (two statements)."""
    conditions = _conditions(user, filters, today)
    base = select(*_ROW_COLUMNS).join(Customer, Customer.id == Quote.customer_id).join(User, User.id == Quote.owner_id)
    paged = base.where(*conditions)
    if after:
        paged = paged.where(Quote.id < after)
    rows = db.session.execute(paged.order_by(Quote.id.desc()).limit(page_size + 1)).all()
    next_cursor = rows[page_size - 1].id if len(rows) > page_size else None
    if not with_totals:
        return QuotePage(rows=rows[:page_size], next_cursor=next_cursor, count=0, total=Decimal("0"))
    totals_statement = select(func.count(), func.coalesce(func.sum(Quote.amount_gross), 0)).select_from(Quote)
    if filters.q:  # only the search reads the customer's name
        totals_statement = totals_statement.join(Customer, Customer.id == Quote.customer_id)
    totals = db.session.execute(totals_statement.where(*conditions)).one()
    return QuotePage(rows=rows[:page_size], next_cursor=next_cursor, count=totals[0], total=Decimal(totals[1]))


def search_products(q: str, *, include_inactive: bool = False, limit: int = 200) -> list[Product]:
    """Catalogue entries whose code, name or spec contains ``q`` (case and width folded)."""
    stmt = select(Product).where(Product.archived_at.is_(None))
    if not include_inactive:
        stmt = stmt.where(Product.active.is_(True))
    text = unicodedata.normalize("NFKC", q or "").lower().strip()
    for word in text.split()[:5]:
        stmt = stmt.where(Product.search_text.like(like_pattern(word), escape="\\"))
    return list(db.session.scalars(stmt.order_by(Product.code).limit(limit)))


def active_competitors() -> list[Competitor]:
    """Competitors to pick from: not archived and not merged into another."""
    stmt = select(Competitor).where(Competitor.archived_at.is_(None), Competitor.merged_into_id.is_(None))
    return list(db.session.scalars(stmt.order_by(Competitor.name)))


def customer_quotes(customer_id: int, user, limit: int = 20) -> list[Quote]:
    """A customer's quotes (newest revision of each) that ``user`` may see, newest first."""
    return list(db.session.scalars(_customer_quotes(Role(user.role), limit), {"customer_id": customer_id, **person_parameters(user)}))


@lru_cache(maxsize=16)
def _customer_quotes(role: Role, limit: int):
    """``customer_quotes``' statement for anyone of ``role`` (``someone``), the customer and the
    person bound when it runs: built once, as every customer page runs it."""
    return (
        select(Quote)
        .where(Quote.customer_id == bindparam("customer_id", type_=Integer), Quote.is_latest.is_(True), Quote.archived_at.is_(None),
               scope_clause(Quote, someone(role)))
        .order_by(Quote.id.desc())
        .limit(limit)
    )


def competitor_for(form) -> Competitor | None:
    """The competitor a lost-order form names: the one picked, or the one typed (an existing name
    is reused, case ignored, else created); a merged competitor gives the one it was merged into."""
    if form.competitor_id.data:
        competitor = db.session.get(Competitor, form.competitor_id.data)
        if competitor is not None:
            return merged_target(competitor)
    name = form.new_competitor.data
    if not name:
        return None
    existing = db.session.scalar(select(Competitor).where(func.lower(Competitor.name) == name.lower()))
    if existing is not None:
        return merged_target(existing)
    competitor = Competitor(name=name)
    db.session.add(competitor)
    return competitor


def merged_target(competitor: Competitor) -> Competitor:
    seen = set()
    while competitor.merged_into_id and competitor.id not in seen:
        seen.add(competitor.id)
        competitor = competitor.merged_into
    return competitor



def sign_customer(customer: Customer, day: date) -> None:
    """The customer bought (a won quote, a signed contract): its stage becomes 成交, and a lost
    customer is regained on ``day`` (the loss stays in the history)."""
    customer.stage = Stage.SIGNED.value
    for loss in db.session.scalars(select(CustomerLoss).where(
        CustomerLoss.customer_id == customer.id, CustomerLoss.regained_on.is_(None)
    )):
        loss.regained_on = day

"""Products, quotes (报价单) with lines and revisions, competitors and lost orders (丢单记录).

A quote's number is taken from ``QuoteCounter`` in the transaction that saves the quote, so numbers
are gap-free and unique per year however many people save at once. A revision keeps the number
with ``-R<n>`` and points at the revision it replaced; only the newest revision can be decided.
A lost order is its own record — with or without a quote — so the lost-orders analysis reads one
table whatever way the order was lost.
"""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.access import Area
from portal.database import UTCDateTime
from portal.extensions import db
from portal.models.base import BusinessRecord

MONEY = Numeric(14, 2)
QUANTITY = Numeric(12, 3)
PERCENT = Numeric(5, 2)
# Admin-managed lists of values (LookupValue.kind) this area registers.
PRODUCT_CATEGORY = "product_category"
LOST_REASON = "lost_reason"
NO_COMPETITOR_REASON = "需求取消"


class QuoteStatus(StrEnum):
    """draft 草稿 → sent 已发送 → won 已成交 / lost 已丢单; expired 已过期 is derived from the
    valid-until date (``portal.rules.quotes.effective_status``), never stored."""

    DRAFT = "draft"
    SENT = "sent"
    WON = "won"
    LOST = "lost"
    EXPIRED = "expired"


QUOTE_STATUS_LABELS = {
    QuoteStatus.DRAFT.value: _l("Draft"),
    QuoteStatus.SENT.value: _l("Sent"),
    QuoteStatus.WON.value: _l("Won"),
    QuoteStatus.LOST.value: _l("Order lost"),
    QuoteStatus.EXPIRED.value: _l("Expired"),
}


class Product(BusinessRecord, db.Model):
    """The catalogue (商品信息设置). Archived products stay on the quotes that use them."""

    __tablename__ = "products"
    RECORD_LABEL = _l("Products")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    spec: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("lookup_values.id"))
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    list_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    # For margins: heads and admin only.
    unit_cost: Mapped[Decimal | None] = mapped_column(MONEY)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Lower-cased code, name and spec for the catalogue search.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")

    category = relationship("LookupValue")

    def audit_label(self) -> str:
        return f"{self.code} {self.name}"


class Competitor(BusinessRecord, db.Model):
    """A competitor that won an order. A name a salesperson typed can be merged into another."""

    __tablename__ = "competitors"
    RECORD_LABEL = _l("Competitors")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("competitors.id"))

    merged_into = relationship("Competitor", remote_side=[id])


class QuoteCounter(db.Model):
    """The last quote number used in a year: raised in the transaction that saves the quote."""

    __tablename__ = "quote_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Quote(BusinessRecord, db.Model):
    __tablename__ = "quotes"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Quotes")
    __table_args__ = (
        UniqueConstraint("year", "sequence", "revision", name="uq_quotes_number"),
        Index("ix_quotes_owner_id_id", "owner_id", "id"),
        Index("ix_quotes_department_id_id", "department_id", "id"),
        Index("ix_quotes_customer_id", "customer_id"),
        Index("ix_quotes_status_valid_until", "status", "valid_until"),
        # The list's count and total read these alone (covering) for the administrator and heads.
        Index("ix_quotes_latest_totals", "is_latest", "archived_at", "quote_date", "amount_gross"),
        Index("ix_quotes_department_totals", "department_id", "is_latest", "archived_at", "quote_date", "amount_gross"),
        # The lost-order rate reads quotes decided in a period from these alone (covering).
        Index("ix_quotes_decided", "decided_on", "status", "is_latest", "archived_at", "department_id", "owner_id"),
        # …and a department's, by salesperson and month (without it SQLite reads each quote's row).
        Index("ix_quotes_department_decided", "department_id", "decided_on", "status", "is_latest", "archived_at", "owner_id"),
        # A salesperson's quotes issued and decided in a period, for the performance metrics (covering).
        Index("ix_quotes_owner_date", "owner_id", "quote_date", "status", "is_latest", "archived_at", "amount_gross"),
        Index("ix_quotes_owner_decided", "owner_id", "decided_on", "status", "is_latest", "archived_at", "amount_gross"),
        # A salesperson's My day: sent quotes gone quiet, oldest first. (A head's are found faster
        # from the still-valid quotes by ix_quotes_status_valid_until.)
        Index("ix_quotes_owner_status_sent", "owner_id", "status", "sent_at"),
        # A person's open quotes still valid, counted and summed from the index (My day).
        Index("ix_quotes_owner_open", "owner_id", "status", "valid_until", "is_latest", "archived_at", "amount_gross"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    # False once a newer revision exists: lists show the newest revision of each quote.
    is_latest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    quote_date: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, nullable=False)
    delivery_terms: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    payment_terms: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=QuoteStatus.DRAFT.value)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_on: Mapped[date | None] = mapped_column(Date)
    # Totals of the live lines, recomputed on the server whenever a line changes.
    amount_net: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    amount_tax: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    amount_gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))

    customer = relationship("Customer")
    contact = relationship("Contact")
    owner = relationship("User", foreign_keys=[owner_id])
    department = relationship("Department")
    previous = relationship("Quote", remote_side=[id], foreign_keys=[previous_id])
    lines: Mapped[list["QuoteLine"]] = relationship(
        back_populates="quote",
        order_by="QuoteLine.position, QuoteLine.id",
        primaryjoin="and_(QuoteLine.quote_id == Quote.id, QuoteLine.archived_at.is_(None))",
        viewonly=True,
    )

    def audit_label(self) -> str:
        return self.number


class QuoteLine(BusinessRecord, db.Model):
    """One line: quantity × unit price × (1 − discount), rounded half-up to the fen once."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        Index("ix_quote_lines_quote_id", "quote_id", "position"),
        # Products of lost quotes, for the analysis, read from the index alone.
        Index("ix_quote_lines_product_amounts", "quote_id", "archived_at", "product_id", "amount"),
    )
    RECORD_LABEL = _l("Quote lines")

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    spec: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    quote = relationship("Quote")
    product = relationship("Product")

    def audit_label(self) -> str:
        return self.name


class LostOrder(BusinessRecord, db.Model):
    """An order lost to a competitor (丢单记录), from a quote or recorded without one."""

    __tablename__ = "lost_orders"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Lost orders")
    __table_args__ = (
        Index("ix_lost_orders_department_lost_on", "department_id", "lost_on"),
        Index("ix_lost_orders_owner_lost_on", "owner_id", "lost_on"),
        # The customer page lists the customer's lost orders, newest first.
        Index("ix_lost_orders_customer_lost_on", "customer_id", "lost_on"),
        # The head's inbox: the department's lost orders not reviewed yet, counted from the index alone.
        Index("ix_lost_orders_department_reviewed", "department_id", "reviewed_at", "archived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    lost_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason_id: Mapped[int] = mapped_column(ForeignKey("lookup_values.id"), nullable=False)
    # None only when no competitor won (the customer cancelled the demand).
    competitor_id: Mapped[int | None] = mapped_column(ForeignKey("competitors.id"))
    competitor_model: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    competitor_price: Mapped[Decimal | None] = mapped_column(MONEY)
    # Our amount: the quote's total with tax, or the salesperson's estimate without a quote.
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The product lost, for a record without a quote (a quote's lines name its products).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    # The head's review: when, by whom, and an optional word to the salesperson.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    customer = relationship("Customer")
    quote = relationship("Quote")
    product = relationship("Product")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    owner = relationship("User", foreign_keys=[owner_id])
    reason = relationship("LookupValue")
    competitor = relationship("Competitor")

    def audit_label(self) -> str:
        # Written during the flush, when relationships may not be loaded: plain columns only.
        return f"{self.lost_on} #{self.id}"


class CustomerLoss(BusinessRecord, db.Model):
    """A signed customer lost (流失客户): when, why and to whom; and the win-back started, if any.
    The customer's stage becomes 流失; a won quote later makes it 成交 again, and both changes stay
    in the customer's history."""

    __tablename__ = "customer_losses"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Lost customers")
    __table_args__ = (Index("ix_customer_losses_department_lost_on", "department_id", "lost_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    lost_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason_id: Mapped[int] = mapped_column(ForeignKey("lookup_values.id"), nullable=False)
    competitor_id: Mapped[int | None] = mapped_column(ForeignKey("competitors.id"))
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    win_back_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the customer buys again (a won quote), which ends the loss.
    regained_on: Mapped[date | None] = mapped_column(Date)

    customer = relationship("Customer")
    owner = relationship("User", foreign_keys=[owner_id])
    reason = relationship("LookupValue")
    competitor = relationship("Competitor")

    def audit_label(self) -> str:
        return f"{self.lost_on} #{self.id}"

"""The shared customer register: customers, contact persons, follow-ups, grade policy, lists."""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, and_, event, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.access import Area
from portal.database import UTCDateTime, utcnow
from portal.extensions import db
from portal.models.base import BusinessRecord
from portal.rules.customers import phone_digits


class Stage(StrEnum):
    """Customer lifecycle: potential 潜在 → intended 意向 → signed 成交 → lost 流失."""

    POTENTIAL = "potential"
    INTENDED = "intended"
    SIGNED = "signed"
    LOST = "lost"


STAGE_LABELS = {
    Stage.POTENTIAL.value: _l("Potential"),
    Stage.INTENDED.value: _l("Intended"),
    Stage.SIGNED.value: _l("Signed"),
    # 流失: a customer lost, not an order lost (丢单), which is the plain "Lost".
    Stage.LOST.value: _lp("customer stage", "Lost"),
}


class FollowUpKind(StrEnum):
    CALL_IN = "call_in"
    CALL_OUT = "call_out"
    VISIT = "visit"
    WECHAT = "wechat"
    EMAIL = "email"
    OTHER = "other"


FOLLOW_UP_KIND_LABELS = {
    FollowUpKind.CALL_IN.value: _l("Inbound call"),
    FollowUpKind.CALL_OUT.value: _l("Outbound call"),
    FollowUpKind.VISIT.value: _l("Visit"),
    FollowUpKind.WECHAT.value: _l("WeChat"),
    FollowUpKind.EMAIL.value: _l("E-mail"),
    FollowUpKind.OTHER.value: _l("Other"),
}


class LookupKind(StrEnum):
    """Admin-managed lists of values."""

    CUSTOMER_TYPE = "customer_type"
    SOURCE = "source"


class LookupValue(BusinessRecord, db.Model):
    """One entry of an admin-managed list (customer type/industry, source…)."""

    __tablename__ = "lookup_values"
    __table_args__ = (Index("ix_lookup_values_kind_position", "kind", "position"),)
    RECORD_LABEL = _l("List values")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class GradePolicy(BusinessRecord, db.Model):
    """Per intention grade: how often and how to follow up (意向客户分级)."""

    __tablename__ = "grade_policies"
    RECORD_LABEL = _l("Grade policies")

    id: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[str] = mapped_column(String(10), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    interval_days: Mapped[int] = mapped_column(Integer, nullable=False)
    preferred_mode: Mapped[str] = mapped_column(String(20), nullable=False, default=FollowUpKind.CALL_OUT.value)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def audit_label(self) -> str:
        return self.grade


class Customer(BusinessRecord, db.Model):
    __tablename__ = "customers"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Customers")
    # Keys derived from other columns: recomputed by refresh_keys, noise in the trail.
    __audit_exclude__ = BusinessRecord.__audit_exclude__ | {"name_key", "phone_key", "mobile_key", "search_text", "search_grams"}
    __table_args__ = (
        # Lists are keyset-paginated per scope, newest first.
        Index("ix_customers_owner_id_id", "owner_id", "id"),
        Index("ix_customers_department_id_id", "department_id", "id"),
        # My day: due and overdue follow-ups per salesperson and per department. The trailing
        # columns let the due/overdue counts and the per-person workload read the index alone
        # (covering): over 25,000 department customers 15 ms -> 3 ms, workload 18 ms -> 4 ms.
        Index("ix_customers_owner_next", "owner_id", "next_follow_up_on", "department_id", "archived_at"),
        Index("ix_customers_department_next", "department_id", "next_follow_up_on", "archived_at"),
        # New customers of a salesperson in a period (performance metrics).
        Index("ix_customers_owner_created", "owner_id", "created_at", "archived_at"),
        # The pool list per department, newest returned first.
        Index("ix_customers_department_pool", "department_id", "pool_since"),
        # The company's pool (the administrator's list and its count): its customers only.
        Index("ix_customers_pool", "pool_since", "department_id", "archived_at",
              sqlite_where=text("pool_since IS NOT NULL AND archived_at IS NULL"),
              postgresql_where=text("pool_since IS NOT NULL AND archived_at IS NULL")),
        # A salesperson's customers in hand (what their scope reads: not in the pool, not archived),
        # with what the pool's recycling rules test: My day's birthdays join contacts from here and
        # its "returning to the pool soon" check reads the index alone instead of 1,600 rows
        # (7 ms -> 2 ms and 3.3 ms -> 0.5 ms at large).
        Index("ix_customers_owner_in_hand", "owner_id", "intention_grade", "last_follow_up_at", "stage", "locked",
              "owned_since", "created_at", sqlite_where=text("pool_since IS NULL AND archived_at IS NULL"),
              postgresql_where=text("pool_since IS NULL AND archived_at IS NULL")),
        # The staffing page counts a department's (or the company's) graded customers by salesperson
        # and grade from this index alone, instead of reading every customer row (195 → 3 ms). Only
        # a statement asking for graded customers can use it: a head's lists keep reading their
        # department in table order (through this index, the complaint form's list took 31 → 37 ms).
        Index("ix_customers_department_grades", "department_id", "intention_grade", "owner_id", "stage", "archived_at",
              sqlite_where=text("archived_at IS NULL AND intention_grade IS NOT NULL"),
              postgresql_where=text("archived_at IS NULL AND intention_grade IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Normalised name (case, width, spaces, company suffixes) for duplicate matching.
    name_key: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("lookup_values.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("lookup_values.id"))
    region: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    mobile: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    # Digits only, for duplicate matching and phone search.
    phone_key: Mapped[str] = mapped_column(String(40), nullable=False, default="", index=True)
    mobile_key: Mapped[str] = mapped_column(String(40), nullable=False, default="", index=True)
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="", index=True)
    wechat: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default=Stage.POTENTIAL.value)
    intention_grade: Mapped[str | None] = mapped_column(String(10))
    # Computed by the performance area (AA/AB/BA/BB); never typed in.
    value_grade: Mapped[str | None] = mapped_column(String(4))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)
    last_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Name, contacts' names and every phone, lower-cased: one column for substring search.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Bigrams of search_text for the search index (portal/search.py); set with it by refresh_keys.
    search_grams: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The customer pool (公海): when it was returned to its department's pool (None: owned). The
    # owner stays the last one, for the history and the claim-back wait.
    pool_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the present owner has it (registered, claimed, assigned, handed over): recycling
    # counts from here when there is no later follow-up.
    owned_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # A key customer its owner locked: never recycled.
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    owner = relationship("User", foreign_keys=[owner_id])
    department = relationship("Department")
    customer_type = relationship("LookupValue", foreign_keys=[customer_type_id])
    source = relationship("LookupValue", foreign_keys=[source_id])
    contacts: Mapped[list["Contact"]] = relationship(back_populates="customer", order_by="Contact.id")

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.name}>"

    @classmethod
    def scope_sales_clause(cls, user):
        """A salesperson sees the customers they own, not those they owned before the pool took them."""
        return and_(cls.owner_id == user.id, cls.pool_since.is_(None))


class Contact(BusinessRecord, db.Model):
    """A person at a customer."""

    __tablename__ = "contacts"
    RECORD_LABEL = _l("Contacts")
    __table_args__ = (
        Index("ix_contacts_birthday_md", "birthday_md"),
        # A customer's contacts, and My day's birthdays of one person's customers read from the
        # index alone (the birthday checked without visiting each contact).
        Index("ix_contacts_customer_birthday", "customer_id", "birthday_md"),
        # Duplicate matching of many rows at once (imports) looks contacts up by phone digits. Most
        # contacts have no landline: partial indexes leave the empty keys out, so the planner's
        # statistics describe real numbers (queries add ``<key> != ''`` to use them).
        Index("ix_contacts_phone_key", "phone_key", sqlite_where=text("phone_key != ''"), postgresql_where=text("phone_key != ''")),
        Index("ix_contacts_mobile_key", "mobile_key", sqlite_where=text("mobile_key != ''"), postgresql_where=text("mobile_key != ''")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    title: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    mobile: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    # ``phone_digits`` of phone and mobile, kept by ``_contact_keys`` on every ORM save.
    phone_key: Mapped[str] = mapped_column(String(40), nullable=False, default="", server_default="")
    mobile_key: Mapped[str] = mapped_column(String(40), nullable=False, default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    birthday: Mapped[date | None] = mapped_column(Date)
    # Month*100 + day, so "birthdays this week" is an index range, whatever the year.
    birthday_md: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    customer: Mapped[Customer] = relationship(back_populates="contacts")


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _contact_keys(_mapper, _connection, contact: Contact) -> None:
    """The phone keys follow the phones, whichever form or merge changed them."""
    contact.phone_key = phone_digits(contact.phone)
    contact.mobile_key = phone_digits(contact.mobile)


class FollowUp(BusinessRecord, db.Model):
    """A contact with a customer: call, visit, WeChat, e-mail (跟进/回访)."""

    __tablename__ = "follow_ups"
    RECORD_LABEL = _l("Follow-ups")
    __table_args__ = (
        Index("ix_follow_ups_customer_happened", "customer_id", "happened_at"),
        # Covering: a period's follow-ups by person and kind are counted from the index alone.
        Index("ix_follow_ups_user_happened", "user_id", "happened_at", "kind", "archived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    next_step: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship()
    user = relationship("User")
    contact = relationship("Contact")

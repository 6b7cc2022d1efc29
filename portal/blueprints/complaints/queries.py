"""The scoped complaint list with its filters, a customer's complaints, and the rows the summary reads."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select

from portal.access import scope_clause
from portal.extensions import db
from portal.forms import date_or_none, int_or_none
from portal.numbering import keyset_page
from portal.models import COMPLAINT_KIND_LABELS, Complaint, Customer, LookupValue, User
from portal.rules.complaints import STATUSES
from portal.rules.followups import local_to_utc

PAGE_SIZE = 25


@dataclass
class ComplaintFilters:
    status: str = ""
    kind: str = ""
    category: int | None = None
    handler: int | None = None
    customer: int | None = None
    overdue: bool = False
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "ComplaintFilters":
        status, kind = args.get("status", ""), args.get("kind", "")
        return cls(
            status=status if status in STATUSES else "", kind=kind if kind in COMPLAINT_KIND_LABELS else "",
            category=int_or_none(args.get("category")), handler=int_or_none(args.get("handler")),
            customer=int_or_none(args.get("customer")), overdue=args.get("overdue") == "1",
            date_from=date_or_none(args.get("from")), date_to=date_or_none(args.get("to")),
        )

    def as_args(self) -> dict:
        values = {"status": self.status, "kind": self.kind, "category": self.category, "handler": self.handler,
                  "customer": self.customer, "overdue": "1" if self.overdue else None,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


def overdue_condition(now: datetime):
    """The SQL form of ``rules.complaints.is_overdue``."""
    return and_(Complaint.first_response_at.is_(None), Complaint.respond_by < now)


def received_between(first: date | None, last: date | None) -> list:
    """Complaints received on the company-time days ``first`` … ``last``."""
    conditions = []
    if first:
        conditions.append(Complaint.received_at >= local_to_utc(datetime.combine(first, time.min)))
    if last:
        conditions.append(Complaint.received_at < local_to_utc(datetime.combine(last + timedelta(days=1), time.min)))
    return conditions


def conditions_for(user, filters: ComplaintFilters, now: datetime) -> list:
    conditions = [Complaint.archived_at.is_(None), scope_clause(Complaint, user)]
    if filters.status:
        conditions.append(Complaint.status == filters.status)
    if filters.kind:
        conditions.append(Complaint.kind == filters.kind)
    if filters.category:
        conditions.append(Complaint.category_id == filters.category)
    if filters.handler:
        conditions.append(Complaint.handler_id == filters.handler)
    if filters.customer:
        conditions.append(Complaint.customer_id == filters.customer)
    if filters.overdue:
        conditions.append(overdue_condition(now))
    conditions += received_between(filters.date_from, filters.date_to)
    return conditions


@dataclass
class ComplaintPage:
    rows: list
    next_cursor: int | None
    count: int
    overdue: int


def list_complaints(user, filters: ComplaintFilters, after: int | None, now: datetime, page_size: int = PAGE_SIZE,
                    with_totals: bool = True) -> ComplaintPage:
    """Newest first, keyset-paged; with the count and how many of them are overdue (one statement)."""
    conditions = conditions_for(user, filters, now)
    stmt = (
        select(Complaint.id, Complaint.kind, Complaint.severity, Complaint.status, Complaint.received_at, Complaint.respond_by,
               Complaint.first_response_at, Complaint.content, Complaint.customer_id, Complaint.satisfaction,
               Customer.name.label("customer_name"), LookupValue.name.label("category_name"),
               User.display_name.label("handler_name"))
        .outerjoin(Customer, Customer.id == Complaint.customer_id)
        .join(LookupValue, LookupValue.id == Complaint.category_id)
        .join(User, User.id == Complaint.handler_id)
        .where(*conditions)
    )
    rows, next_cursor = keyset_page(stmt, Complaint.id, after, page_size)
    count = overdue = 0
    if with_totals:
        count, overdue = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((overdue_condition(now), 1), else_=0)), 0))
            .select_from(Complaint).where(*conditions)
        ).one()
    return ComplaintPage(rows=rows, next_cursor=next_cursor, count=count, overdue=int(overdue))


def summary_rows(user, first: date, last: date, department_id: int | None = None):
    """(category, status, received at, respond by, first response at, satisfaction) of the complaints
    received in the period that ``user`` may see: the rows ``rules.complaints.summarise`` reads."""
    conditions = [Complaint.archived_at.is_(None), scope_clause(Complaint, user), *received_between(first, last)]
    if department_id:
        conditions.append(Complaint.department_id == department_id)
    return db.session.execute(
        select(LookupValue.name, Complaint.status, Complaint.received_at, Complaint.respond_by, Complaint.first_response_at,
               Complaint.satisfaction)
        .join(LookupValue, LookupValue.id == Complaint.category_id).where(*conditions)
    ).all()

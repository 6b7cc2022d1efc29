"""The leaving procedure (离职交接): what a departing salesperson or head still owns, and moving all
of it in one audited action before they are deactivated.

Owned and still open: customers (outside the pool), open quotes (draft, sent), contracts with money
outstanding or not yet completed, planned deliveries, open complaints they handle, and the follow-ups
planned on their customers (which move with the customers). Customers go to one colleague, to
colleagues by intention grade, or to the department's pool; every other record follows its
customer's new owner, or goes to the chosen colleague where the customer went to the pool.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.audit import audit_action
from portal.database import utcnow
from portal.extensions import db
from portal.models import Complaint, Contract, ContractStatus, Customer, Delivery, PoolEvent, Quote, QuoteStatus, Role, User
from portal.rules.complaints import CLOSED

ONE, BY_GRADE, POOL = "one", "grade", "pool"
NO_GRADE = ""


@dataclass(frozen=True)
class OwnedKind:
    key: str
    label: object
    model: type
    owner_column: str
    conditions: tuple


OWNED_KINDS = (
    OwnedKind("customers", _l("Customers"), Customer, "owner_id",
              (Customer.archived_at.is_(None), Customer.pool_since.is_(None))),
    OwnedKind("quotes", _l("Open quotes"), Quote, "owner_id",
              (Quote.archived_at.is_(None), Quote.status.in_((QuoteStatus.DRAFT.value, QuoteStatus.SENT.value)))),
    OwnedKind("contracts", _l("Contracts with money outstanding"), Contract, "owner_id",
              (Contract.archived_at.is_(None), Contract.status != ContractStatus.CANCELLED.value,
               or_(Contract.status != ContractStatus.COMPLETED.value, Contract.amount_received < Contract.amount_gross))),
    OwnedKind("deliveries", _l("Planned deliveries"), Delivery, "owner_id",
              (Delivery.archived_at.is_(None), Delivery.delivered_on.is_(None))),
    OwnedKind("complaints", _l("Open complaints"), Complaint, "handler_id",
              (Complaint.archived_at.is_(None), Complaint.status != CLOSED)),
)


def _owned_stmt(kind: OwnedKind, user_id: int):
    return select(kind.model).where(getattr(kind.model, kind.owner_column) == user_id, *kind.conditions)


def owned_counts(user: User) -> list[tuple[OwnedKind | None, object, int]]:
    """(kind, label, count) of what ``user`` owns, the follow-ups planned on their customers included."""
    counts = []
    for kind in OWNED_KINDS:
        stmt = _owned_stmt(kind, user.id).with_only_columns(func.count())
        counts.append((kind, kind.label, db.session.scalar(stmt)))
    planned = select(func.count()).select_from(Customer).where(
        Customer.owner_id == user.id, *OWNED_KINDS[0].conditions, Customer.next_follow_up_on.is_not(None))
    counts.append((None, _l("Follow-ups planned"), db.session.scalar(planned)))
    return counts


def owns_anything(user: User) -> bool:
    return any(count for kind, _label, count in owned_counts(user) if kind is not None)


def owned_grades(user: User) -> list[str]:
    """The intention grades of ``user``'s customers ("" for none), in order."""
    stmt = select(func.coalesce(Customer.intention_grade, NO_GRADE)).where(
        Customer.owner_id == user.id, *OWNED_KINDS[0].conditions).distinct()
    return sorted(db.session.scalars(stmt))


def colleagues_for(user: User) -> list[User]:
    """Who may take over: the active salespeople and heads, other than ``user``, with a department."""
    stmt = select(User).where(
        User.active.is_(True), User.id != user.id, User.department_id.is_not(None),
        User.role.in_((Role.SALES.value, Role.HEAD.value)),
    )
    return list(db.session.scalars(stmt.order_by(User.display_name, User.id)))


def move_everything(leaving: User, mode: str, colleague: User, by_grade: dict[str, User], by_user_id: int) -> dict[str, int]:
    """Move what ``leaving`` owns (see the module) and deactivate them, ending their sessions, as
    one audited "handover"; the caller commits. Returns the count moved per kind."""
    now = utcnow()
    moved: dict[str, int] = {}
    new_owner_of: dict[int, User | None] = {}
    with audit_action(db.session, "handover"):
        customers = list(db.session.scalars(_owned_stmt(OWNED_KINDS[0], leaving.id).order_by(Customer.id)))
        for customer in customers:
            if mode == POOL:
                customer.pool_since = now
                db.session.add(PoolEvent(customer_id=customer.id, user_id=leaving.id, kind="recycle", at=now,
                                         rule=str(_l("Owner left the company")), by_user_id=by_user_id))
                new_owner_of[customer.id] = None
                continue
            owner = by_grade.get(customer.intention_grade or NO_GRADE) if mode == BY_GRADE else None
            owner = owner or colleague
            customer.owner_id = owner.id
            customer.department_id = owner.department_id
            customer.owned_since = now
            new_owner_of[customer.id] = owner
        moved["customers"] = len(customers)
        for kind in OWNED_KINDS[1:]:
            rows = list(db.session.scalars(_owned_stmt(kind, leaving.id)))
            for row in rows:
                owner = new_owner_of.get(row.customer_id) or _current_owner(row.customer_id) or colleague
                setattr(row, kind.owner_column, owner.id)
                row.department_id = owner.department_id
            moved[kind.key] = len(rows)
        leaving.active = False
        leaving.rotate_session_token()
    return moved


def _current_owner(customer_id: int | None) -> User | None:
    """The active owner of a customer the leaving person did not own, if any."""
    if customer_id is None:
        return None
    owner = db.session.scalar(select(User).join(Customer, Customer.owner_id == User.id).where(
        Customer.id == customer_id, Customer.pool_since.is_(None)))
    return owner if owner is not None and owner.active and owner.department_id else None

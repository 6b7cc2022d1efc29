"""Operations on several customers at once: handover (客户交接) and merging duplicates."""
from sqlalchemy import select

from portal.audit import audit_action, record_event
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contact, Customer, FollowUp, Role
from portal.rules.customers import refresh_keys

# Every (model, column) that points at a customer. Merging moves these rows to the survivor;
# areas with their own customer tables (quotes, contracts…) add theirs with
# ``register_customer_reference``.
CUSTOMER_REFERENCES: list[tuple[type, str]] = [(Contact, "customer_id"), (FollowUp, "customer_id")]

# Fields a survivor takes from the duplicate when its own is empty.
_FILLABLE = (
    "customer_type_id",
    "source_id",
    "region",
    "address",
    "phone",
    "mobile",
    "email",
    "wechat",
    "intention_grade",
    "value_grade",
)


class CustomerOperationError(ValueError):
    pass


def register_customer_reference(model, column: str = "customer_id") -> None:
    """Make rows of ``model`` follow their customer when it is merged into another."""
    if (model, column) not in CUSTOMER_REFERENCES:
        CUSTOMER_REFERENCES.append((model, column))


def hand_over(customer_ids, from_user, to_user) -> list[Customer]:
    """Give ``from_user``'s customers among ``customer_ids`` (``None``: all of them) to ``to_user``.

    Owner and department change together (department = the new owner's department). Everything
    else stays on the customer — contacts, the follow-up history and the planned next follow-up
    date (``Customer.next_follow_up_on``), which from now on is due in the new owner's My day.
    Archived customers and customers of someone else are left alone. Audited as "handover".
    """
    if from_user.id == to_user.id:
        raise CustomerOperationError("a salesperson cannot hand customers over to themselves")
    if to_user.role != Role.SALES or not to_user.active or to_user.department_id is None:
        raise CustomerOperationError("customers go to an active salesperson with a department")
    stmt = select(Customer).where(Customer.owner_id == from_user.id, Customer.archived_at.is_(None))
    if customer_ids is not None:
        stmt = stmt.where(Customer.id.in_(list(customer_ids)))
    customers = list(db.session.scalars(stmt.order_by(Customer.id)))
    with audit_action(db.session, "handover"):
        for customer in customers:
            customer.owner_id = to_user.id
            customer.department_id = to_user.department_id
            customer.owned_since = utcnow()
    return customers


def merge_customers(survivor: Customer, duplicate: Customer) -> None:
    """Fold ``duplicate`` into ``survivor``.

    Every row in ``CUSTOMER_REFERENCES`` that points at the duplicate moves to the survivor; the
    survivor's empty fields take the duplicate's values, the notes are appended, the earlier
    planned follow-up date is kept; the duplicate is archived (an admin can restore it). Recorded
    as "merge" in the trail: the moved rows' and the survivor's changes, plus one entry on the
    survivor naming the duplicate, since the survivor may have no field of its own to change
    (the duplicate's own entry reads "archived").
    """
    if survivor.id == duplicate.id:
        raise CustomerOperationError("a customer cannot be merged into itself")
    if survivor.archived_at is not None or duplicate.archived_at is not None:
        raise CustomerOperationError("archived customers cannot be merged")
    with audit_action(db.session, "merge"):
        for model, column in CUSTOMER_REFERENCES:
            for row in db.session.scalars(select(model).where(getattr(model, column) == duplicate.id)):
                setattr(row, column, survivor.id)
        for name in _FILLABLE:
            if not getattr(survivor, name) and getattr(duplicate, name):
                setattr(survivor, name, getattr(duplicate, name))
        if duplicate.notes:
            survivor.notes = "\n\n".join(part for part in (survivor.notes, duplicate.notes) if part)
        planned = [day for day in (survivor.next_follow_up_on, duplicate.next_follow_up_on) if day]
        survivor.next_follow_up_on = min(planned) if planned else None
        if duplicate.last_follow_up_at and (
            survivor.last_follow_up_at is None or duplicate.last_follow_up_at > survivor.last_follow_up_at
        ):
            survivor.last_follow_up_at = duplicate.last_follow_up_at
        duplicate.archived_at = utcnow()
        db.session.flush()
        # The moved contacts belong in the survivor's search text.
        db.session.expire(survivor, ["contacts"])
        db.session.expire(duplicate, ["contacts"])
        refresh_keys(survivor)
        db.session.flush()
        record_event(db.session, survivor, "merge", {"merged_from": [None, f"#{duplicate.id} {duplicate.name}"]})

"""The follow-up panel of a customer page: the form to log one and the timeline, newest first."""
from dataclasses import dataclass, field

from flask import url_for
from flask_login import current_user
from sqlalchemy import and_, bindparam, or_, select

from portal.blueprints.followups.forms import FollowUpForm
from portal.database import utcnow
from portal.extensions import db
from portal.labels import translated
from portal.models import FOLLOW_UP_KIND_LABELS, Contact, Customer, FollowUp, FollowUpKind, GradePolicy, Role, User
from portal.rules.followups import (
    company_today,
    days_overdue,
    ensure_default_grade_policies,
    next_follow_up_date,
    policy_for_grade,
    wall_clock,
)

PAGE_SIZE = 50
# The customer page (and the panel a save swaps into it) shows the newest few; the older ones come
# PAGE_SIZE at a time as the list is scrolled to its end.
FIRST_PAGE = 10
PANEL_ID = "follow-ups"
MORE_ID = "follow-up-more"


def customer_url(customer_id: int) -> str:
    """The customer's page, where the follow-up panel lives."""
    return url_for("customers.detail", customer_id=customer_id)


def may_change(user, follow_up: FollowUp) -> bool:
    """The author, a head (of the customer's department: the customer is in scope) or an admin."""
    return follow_up.user_id == user.id or user.role in (Role.HEAD.value, Role.ADMIN.value)


# The timeline's statements, built once: the page runs one on every view, and building the select
# (and its cache key) each time cost more than running it.
_TIMELINE = (
    select(
        FollowUp.id,
        FollowUp.user_id,
        FollowUp.kind,
        FollowUp.happened_at,
        FollowUp.summary,
        FollowUp.outcome,
        FollowUp.next_step,
        FollowUp.next_follow_up_on,
        User.display_name.label("author_name"),
        Contact.name.label("contact_name"),
    )
    .join(User, User.id == FollowUp.user_id)
    .outerjoin(Contact, Contact.id == FollowUp.contact_id)
    .where(FollowUp.customer_id == bindparam("customer_id"), FollowUp.archived_at.is_(None))
    .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc())
    .limit(bindparam("limit"))
)
_BEFORE_AT = bindparam("before_at", type_=FollowUp.happened_at.type)
_TIMELINE_BEFORE = _TIMELINE.where(
    or_(FollowUp.happened_at < _BEFORE_AT, and_(FollowUp.happened_at == _BEFORE_AT, FollowUp.id < bindparam("before_id")))
)


def timeline(customer_id: int, before: FollowUp | None = None, size: int = PAGE_SIZE):
    """Up to ``size`` active follow-ups older than ``before`` (keyset on time, then id), newest first,
    and the last one shown when more remain (the next page's cursor), else None.

    One statement on the (customer_id, happened_at) index with the author's and the contact's
    names joined in; rows carry only what the timeline shows (a customer may have hundreds).
    """
    params = {"customer_id": customer_id, "limit": size + 1}
    if before is None:
        rows = db.session.execute(_TIMELINE, params).all()
    else:
        params.update(before_at=before.happened_at, before_id=before.id)
        rows = db.session.execute(_TIMELINE_BEFORE, params).all()
    if len(rows) > size:
        return rows[:size], rows[size - 1]
    return rows, None


def new_follow_up_form(customer: Customer, policy: GradePolicy | None) -> FollowUpForm:
    """An empty form pre-filled with now, the grade's preferred mode and its next date."""
    form = FollowUpForm(formdata=None, customer=customer)
    form.happened_at.data = wall_clock(utcnow())
    form.kind.data = policy.preferred_mode if policy else FollowUpKind.CALL_OUT.value
    form.next_follow_up_on.data = next_follow_up_date(policy.interval_days if policy else None, company_today())
    return form


@dataclass
class Panel:
    customer: Customer
    form: FollowUpForm | None
    entries: list  # rows of ``timeline``
    more_before: FollowUp | None
    policy: GradePolicy | None
    saved: bool = False
    kind_labels: dict = field(default_factory=lambda: translated(FOLLOW_UP_KIND_LABELS))

    @property
    def changes_any(self) -> bool:
        """The user may change every entry (``may_change`` without the author): the timeline asks
        once, then compares each entry's author with ``user_id``."""
        return current_user.role in (Role.HEAD.value, Role.ADMIN.value)

    @property
    def user_id(self) -> int:
        return current_user.id

    @property
    def days_overdue(self) -> int:
        return days_overdue(self.customer.next_follow_up_on, company_today())

    @property
    def due_today(self) -> bool:
        return self.customer.next_follow_up_on == company_today()


def build_panel(customer: Customer, form=None, *, before=None, with_form: bool = True, saved: bool = False,
                size: int | None = None) -> Panel:
    """Everything ``followups/_panel.html`` shows for ``customer``: ``size`` entries, by default the
    first ``FIRST_PAGE`` (older pages, ``before`` given, ``PAGE_SIZE``)."""
    policy = None
    if with_form:
        policy = policy_for_grade(customer.intention_grade)
        # A first run has no policies yet; looking only then keeps the page at one lookup.
        if policy is None and ensure_default_grade_policies():
            db.session.commit()
            policy = policy_for_grade(customer.intention_grade)
        form = form or new_follow_up_form(customer, policy)
    size = size or (PAGE_SIZE if before is not None else FIRST_PAGE)
    entries, more_before = timeline(customer.id, before, size)
    return Panel(customer, form if with_form else None, entries, more_before, policy, saved)

"""The customer page's complaints and suggestions, with the button that records one."""
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, select

from portal.access import Area, can_see_area, person_parameters, scope_clause, someone
from portal.database import utcnow
from portal.extensions import db
from portal.models import COMPLAINT_STATUS_LABELS, Complaint, Role
from portal.panels import Panel, register_panel
from portal.rules.complaints import is_overdue


@register_panel("customer")
def customer_complaints_panel(customer, user) -> Panel | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    complaints = db.session.scalars(_customer_complaints(Role(user.role)), {"customer_id": customer.id, **person_parameters(user)}).all()
    now = utcnow()
    rows = [(complaint, is_overdue(complaint.respond_by, complaint.first_response_at, now)) for complaint in complaints]
    return Panel(_("Complaints and suggestions"), "complaints/_customer_complaints.html",
                 {"rows": rows, "customer": customer, "status_labels": COMPLAINT_STATUS_LABELS}, order=40)


@lru_cache(maxsize=8)
def _customer_complaints(role: Role):
    """The customer's latest complaints in the scope of anyone of ``role`` (``someone``), the
    customer and the person bound when it runs: built once, as every customer page runs it."""
    return (
        select(Complaint).where(Complaint.customer_id == bindparam("customer_id", type_=Integer), Complaint.archived_at.is_(None),
                                scope_clause(Complaint, someone(role)))
        .order_by(Complaint.received_at.desc()).limit(10)
    )


@register_panel("performance")
def performance_complaints_panel(view, user) -> Panel | None:
    """The complaints of the performance page's period and department, for heads and the administrator."""
    from portal.blueprints.complaints.queries import summary_rows
    from portal.models import Role
    from portal.rules.complaints import summarise
    from portal.rules.followups import month_in_company_time

    if user.role not in (Role.HEAD, Role.ADMIN):
        return None
    rows = summary_rows(user, view.period.start, view.period.end, view.department_id)
    summary = summarise(rows, utcnow(), month_in_company_time())
    return Panel(_("Complaints and suggestions"), "complaints/_performance_summary.html",
                 {"summary": summary, "period": view.period}, order=50)

"""Complaint views: the list (mine, the department's, all) and its export, intake, one complaint with
its steps, reassignment, and the summary for heads and the administrator."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from portal.access import get_scoped_or_404, login_required, roles_required, scope_clause
from portal.blueprints.complaints import bp
from portal.blueprints.complaints.forms import ComplaintForm, ReassignForm, StepForm
from portal.blueprints.complaints.queries import ComplaintFilters, list_complaints, summary_rows
from portal.company_settings import get_setting
from portal.charts import bar_chart, stacked_columns
from portal.database import utcnow
from portal.exporting import DATETIME_FORMAT, Column, keyset_rows, xlsx_response
from portal.extensions import db
from portal.forms import arg_int, bounded_int
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import (
    COMPLAINT_CATEGORY, COMPLAINT_CHANNEL_LABELS, COMPLAINT_KIND_LABELS, COMPLAINT_STATUS_LABELS, SEVERITY_LABELS,
    Complaint, ComplaintStep, Contract, Customer, Department, LookupValue, Role, User,
)
from portal.periods import period_filters_for
from portal.rendering import render_page_or_fragment, wants_fragment
from portal.rules.complaints import (
    CLOSED, IN_PROGRESS, NEW, NEXT_STATUS, RESOLVED, can_move, is_overdue, response_deadline, step_problem, summarise,
)
from portal.rules.followups import company_today, local_to_utc, month_in_company_time, wall_clock
from portal.rules.periods import month_period
from portal.submissions import exactly_once

COMPLAINT_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
SUMMARY_ROLES = (Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET = "complaint-rows"
STEP_MESSAGES = {
    "resolution": _l("Write the resolution before marking the complaint resolved."),
    "satisfaction": _l("Give the customer's satisfaction, a whole number from 1 to 5, to close."),
    "note": _l("Write a note for this step."),
}


def _deadline_hours() -> dict:
    return {severity: get_setting(f"complaints.hours_{severity}") for severity in SEVERITY_LABELS}


def _complaint_or_404(complaint_id: int) -> Complaint:
    complaint = get_scoped_or_404(Complaint, complaint_id)
    if complaint.archived_at is not None:
        abort(404)
    return complaint


def _handlers_for(department_id: int) -> list[User]:
    """Who may handle a complaint of a department: its active salespeople and head."""
    return list(db.session.scalars(select(User).where(
        User.department_id == department_id, User.active.is_(True), User.role.in_([Role.SALES.value, Role.HEAD.value])
    ).order_by(User.display_name)))


# --- the list -----------------------------------------------------------------------------------


@bp.route("/complaints/")
@roles_required(*COMPLAINT_ROLES)
def index():
    """My complaints (salesperson), the department's (head) or all (administrator), newest first,
    overdue ones flagged, with the count and how many are overdue."""
    filters = ComplaintFilters.from_args(request.args)
    now = utcnow()
    page = list_complaints(current_user, filters, arg_int("after"), now)
    context = {"page": page, "filters": filters, "now": now, "is_overdue": is_overdue, "status_labels": COMPLAINT_STATUS_LABELS,
               "kind_labels": COMPLAINT_KIND_LABELS, "severity_labels": SEVERITY_LABELS}
    if not wants_fragment(ROWS_TARGET):
        context["categories"] = lookup_entries(COMPLAINT_CATEGORY)
    return render_page_or_fragment("complaints/index.html", "complaints/_rows.html", ROWS_TARGET, **context)


def _state(row, now) -> str:
    label = str(COMPLAINT_STATUS_LABELS[row.status])
    return label + (" · " + _("Overdue") if is_overdue(row.respond_by, row.first_response_at, now) else "")


@bp.route("/complaints/export")
@roles_required(*COMPLAINT_ROLES)
def export():
    filters = ComplaintFilters.from_args(request.args)
    now = utcnow()
    columns = [
        Column(_l("Received at"), lambda row: row.received_at, DATETIME_FORMAT, width=18),
        Column(_l("Customer"), lambda row: row.customer_name or "", width=30),
        Column(_l("Kind"), lambda row: str(COMPLAINT_KIND_LABELS[row.kind])),
        Column(_l("Category"), lambda row: row.category_name),
        Column(_l("Severity"), lambda row: str(SEVERITY_LABELS[row.severity])),
        Column(_l("Status"), lambda row: _state(row, now), width=18),
        Column(_l("Respond by"), lambda row: row.respond_by, DATETIME_FORMAT, width=18),
        Column(_l("First response"), lambda row: row.first_response_at, DATETIME_FORMAT, width=18),
        Column(_l("Handler"), lambda row: row.handler_name),
        Column(_l("Satisfaction"), lambda row: row.satisfaction),
        Column(_l("What the customer said"), lambda row: row.content, width=50),
    ]

    def fetch(after, size):
        page = list_complaints(current_user, filters, after, now, page_size=size, with_totals=False)
        return page.rows, page.next_cursor

    return xlsx_response(_("Complaints"), columns, keyset_rows(fetch))


# --- intake -------------------------------------------------------------------------------------


def _customers_in_scope():
    return select(Customer).where(Customer.archived_at.is_(None), scope_clause(Customer, current_user))


def _customer_choices(selected: Customer | None) -> list:
    """The customer picked (from the customer page or a call), or the user's most recently followed up."""
    stmt = _customers_in_scope().order_by(Customer.last_follow_up_at.desc().nulls_last(), Customer.id.desc()).limit(200)
    customers = list(db.session.scalars(stmt))
    if selected is not None and selected not in customers:
        customers.insert(0, selected)
    return customers


def _posted_customer_choices(selected: Customer | None) -> list:
    """What a sent form can name: the customer picked and the one posted, if in the user's scope.
    A save reads these two rows instead of the list of 200 inside its write transaction; the form
    shown again after an error lists the 200 (``_customer_choices``)."""
    customers = [selected] if selected is not None else []
    try:
        posted = bounded_int(request.form.get("customer_id", ""))
    except ValueError:
        posted = None
    if posted and (selected is None or posted != selected.id):
        if (customer := db.session.scalar(_customers_in_scope().where(Customer.id == posted))) is not None:
            customers.append(customer)
    return customers


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(*COMPLAINT_ROLES)
@exactly_once
def new():
    """Record a complaint, suggestion or enquiry. The handler is the customer's owner (the recorder
    for an anonymous one); the response deadline follows from the severity."""
    if ensure_default_entries(COMPLAINT_CATEGORY):
        db.session.commit()
    selected_id = arg_int("customer")
    selected = get_scoped_or_404(Customer, selected_id) if selected_id else None
    contracts = []
    if selected is not None:
        contracts = list(db.session.scalars(select(Contract).where(
            Contract.customer_id == selected.id, Contract.archived_at.is_(None)).order_by(Contract.id.desc()).limit(50)))
    posting = request.method == "POST"
    form = ComplaintForm(customers=_posted_customer_choices(selected) if posting else _customer_choices(selected),
                         contracts=contracts)
    if not posting:
        form.customer_id.data = selected.id if selected else 0
        form.received_at.data = wall_clock(utcnow())
        if request.args.get("channel") in COMPLAINT_CHANNEL_LABELS:
            form.channel.data = request.args["channel"]
        form.content.data = request.args.get("content", "")[:2000]
    if form.validate_on_submit():
        customer = get_scoped_or_404(Customer, form.customer_id.data) if form.customer_id.data else None
        contract = None
        if form.contract_id.data:
            contract = db.session.get(Contract, form.contract_id.data)
            if contract is None or customer is None or contract.customer_id != customer.id:
                contract = None
        received_at = local_to_utc(form.received_at.data)
        handler_id = customer.owner_id if customer else current_user.id
        department_id = customer.department_id if customer else current_user.department_id
        if department_id is None:
            form.customer_id.errors.append(_("An anonymous suggestion is recorded by someone in a department."))
        else:
            complaint = Complaint(
                customer_id=customer.id if customer else None, contract_id=contract.id if contract else None,
                kind=form.kind.data, channel=form.channel.data, category_id=form.category_id.data, severity=form.severity.data,
                content=form.content.data, received_at=received_at,
                respond_by=response_deadline(received_at, form.severity.data, _deadline_hours()),
                handler_id=handler_id, department_id=department_id, recorded_by_id=current_user.id, status=NEW,
            )
            db.session.add(complaint)
            db.session.commit()
            flash(_("Recorded. Respond by %(time)s.", time=wall_clock(complaint.respond_by).strftime("%Y-%m-%d %H:%M")), "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
    if posting:
        form.set_customers(_customer_choices(selected))
    return render_template("complaints/form.html", form=form, selected=selected), 422 if form.errors else 200


# --- one complaint ------------------------------------------------------------------------------


def _steps(complaint: Complaint) -> list[ComplaintStep]:
    return list(db.session.scalars(select(ComplaintStep).where(ComplaintStep.complaint_id == complaint.id)
                                   .order_by(ComplaintStep.at, ComplaintStep.id)))


def _detail(complaint: Complaint, form=None, status: int = 200):
    now = utcnow()
    may_reassign = current_user.role in (Role.HEAD, Role.ADMIN)
    reassign = None
    if may_reassign:
        reassign = ReassignForm(formdata=None)
        reassign.handler_id.choices = [(user.id, user.display_name) for user in _handlers_for(complaint.department_id)]
        reassign.handler_id.data = complaint.handler_id
    return render_template(
        "complaints/detail.html", complaint=complaint, steps=_steps(complaint), form=form or StepForm(formdata=None),
        next_status=NEXT_STATUS.get(complaint.status), overdue=is_overdue(complaint.respond_by, complaint.first_response_at, now),
        status_labels=COMPLAINT_STATUS_LABELS, kind_labels=COMPLAINT_KIND_LABELS, severity_labels=SEVERITY_LABELS,
        channel_labels=COMPLAINT_CHANNEL_LABELS, reassign=reassign,
    ), status


@bp.route("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id: int):
    """A complaint: what was said, the deadline, each step with its note and time, the next step."""
    return _detail(_complaint_or_404(complaint_id))


@bp.post("/complaints/<int:complaint_id>/step")
@login_required
@exactly_once
def step(complaint_id: int):
    """Take the next step (with a note; the resolution to resolve; satisfaction 1–5 to close), or add
    a note alone. The first step or note after intake is the first response."""
    complaint = _complaint_or_404(complaint_id)
    form = StepForm()
    if not form.validate_on_submit():
        return _detail(complaint, form, 422)
    target = request.form.get("to", "") or complaint.status
    if target != complaint.status and not can_move(complaint.status, target):
        flash(_("This step is not allowed from the complaint's current status."), "error")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
    if complaint.status == CLOSED:
        flash(_("A closed complaint takes no more steps."), "error")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
    problem = step_problem(target if target != complaint.status else "", form.note.data or "", form.resolution.data or "",
                           form.satisfaction.data)
    if problem:
        field = {"resolution": form.resolution, "satisfaction": form.satisfaction, "note": form.note}[problem]
        field.errors = [*field.errors, str(STEP_MESSAGES[problem])]
        return _detail(complaint, form, 422)
    now = utcnow()
    position = db.session.scalar(select(func.count()).select_from(ComplaintStep).where(ComplaintStep.complaint_id == complaint.id))
    note = form.note.data or (form.resolution.data if target == RESOLVED else "")
    db.session.add(ComplaintStep(complaint_id=complaint.id, status=target, note=note, at=now, user_id=current_user.id,
                                 position=position + 1))
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    if target == RESOLVED:
        complaint.resolution, complaint.resolved_at = form.resolution.data, now
    elif target == CLOSED:
        complaint.satisfaction, complaint.closed_at = form.satisfaction.data, now
    complaint.status = target
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)


@bp.post("/complaints/<int:complaint_id>/reassign")
@roles_required(*SUMMARY_ROLES)
def reassign(complaint_id: int):
    """A head (or the administrator) gives the complaint to someone else in its department."""
    complaint = _complaint_or_404(complaint_id)
    form = ReassignForm()
    handlers = _handlers_for(complaint.department_id)
    form.handler_id.choices = [(user.id, user.display_name) for user in handlers]
    if not form.validate_on_submit():
        flash(_("Choose someone in the complaint's department."), "error")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
    if form.handler_id.data != complaint.handler_id:
        complaint.handler_id = form.handler_id.data
        db.session.commit()
        flash(_("Complaint handed to %(name)s.", name=db.session.get(User, form.handler_id.data).display_name), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)


# --- summary ------------------------------------------------------------------------------------


@bp.route("/complaints/summary")
@roles_required(*SUMMARY_ROLES)
def summary():
    """Complaints received in a period by category, status and month; the average first-response
    time, the share answered within the deadline and the average satisfaction, beside the period before."""
    filters = period_filters_for(current_user, request.args, company_today())
    departments = list(db.session.scalars(select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)))
    if current_user.role != Role.ADMIN:
        departments = []
    if filters.error:
        return render_template("complaints/summary.html", filters=filters, departments=departments), 422
    period, previous = filters.period, filters.period.previous()
    now, month_of = utcnow(), month_in_company_time()
    current = summarise(summary_rows(current_user, period.start, period.end, filters.department), now, month_of)
    before = summarise(summary_rows(current_user, previous.start, previous.end, filters.department), now, month_of)
    return render_template("complaints/summary.html", filters=filters, departments=departments, period=period,
                           previous=previous, current=current, before=before, status_labels=COMPLAINT_STATUS_LABELS,
                           statuses=(NEW, IN_PROGRESS, RESOLVED, CLOSED), charts=_summary_charts(current, period, linked=not (current_user.role == Role.ADMIN and filters.department)))


def _summary_charts(current, period, linked: bool) -> dict:
    """The period's complaints by month and by category; a click opens the complaints behind it
    when the list can show them (``linked``: it has no department filter, so the administrator's
    one-department summary opens none)."""
    categories = {}
    for entry_id, name, archived_at in db.session.execute(
        select(LookupValue.id, LookupValue.name, LookupValue.archived_at).where(LookupValue.kind == COMPLAINT_CATEGORY)
        .order_by(LookupValue.archived_at.is_(None), LookupValue.id)
    ):
        categories[name] = entry_id  # a live entry wins over an archived one of the same name
    months = sorted(current.by_month)

    def month_link(key: str) -> str:
        month = month_period(date.fromisoformat(f"{key}-01"))
        return url_for("complaints.index", **{"from": max(period.start, month.start).isoformat(), "to": min(period.end, month.end).isoformat()}) \
            if linked else None

    by_month = stacked_columns([(month, month_link(month)) for month in months],
                               [(_("Complaints and suggestions received"), [current.by_month[month] for month in months])])
    by_category = bar_chart(
        [(name, count, url_for("complaints.index", category=categories.get(name), **{"from": period.start.isoformat(), "to": period.end.isoformat()})
          if linked else None)
         for name, count in sorted(current.by_category.items(), key=lambda item: (-item[1], item[0]))],
        _("Complaints and suggestions received"), unit="count",
    )
    return {"month": by_month, "category": by_category, "category_ids": categories}

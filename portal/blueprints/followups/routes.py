from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.access import get_scoped_or_404, login_required
from portal.audit import history_of
from portal.blueprints.followups import bp
from portal.blueprints.followups.forms import FollowUpEditForm, FollowUpForm
from portal.blueprints.followups.panel import MORE_ID, PAGE_SIZE, PANEL_ID, build_panel, customer_url, may_change, timeline
from portal.exporting import DATE_FORMAT, DATETIME_FORMAT, Column, keyset_rows, xlsx_response
from portal.forms import ConfirmForm, bounded_int
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.models import FOLLOW_UP_KIND_LABELS, Customer, FollowUp
from portal.rendering import render_page_or_fragment, wants_fragment
from portal.records import on_restore
from portal.rules.followups import effective_next_date, local_to_utc, refresh_schedule, wall_clock
from portal.submissions import exactly_once

bp.add_app_template_global(customer_url)
bp.add_app_template_global(build_panel, "follow_up_panel")


def _customer_or_404(customer_id: int) -> Customer:
    return get_scoped_or_404(Customer, customer_id, options=[selectinload(Customer.contacts)])


def _follow_up_or_404(customer: Customer, follow_up_id: int, *, include_archived: bool = False) -> FollowUp:
    """A follow-up of this customer (an active one unless ``include_archived``), else 404."""
    stmt = select(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.customer_id == customer.id)
    if not include_archived:
        stmt = stmt.where(FollowUp.archived_at.is_(None))
    follow_up = db.session.scalar(stmt)
    if follow_up is None:
        abort(404)
    return follow_up


def _changeable_or_403(customer: Customer, follow_up_id: int) -> FollowUp:
    follow_up = _follow_up_or_404(customer, follow_up_id)
    if not may_change(current_user, follow_up):
        abort(403)
    return follow_up


def _apply(form: FollowUpForm, follow_up: FollowUp, customer: Customer) -> None:
    """Copy the form onto the follow-up; an empty next date comes from the customer's grade."""
    follow_up.kind = form.kind.data
    follow_up.happened_at = local_to_utc(form.happened_at.data)
    follow_up.contact_id = form.contact_id.data or None
    follow_up.summary = form.summary.data
    follow_up.outcome = form.outcome.data or ""
    follow_up.next_step = form.next_step.data or ""
    follow_up.next_follow_up_on = effective_next_date(
        form.next_follow_up_on.data, customer.intention_grade, form.happened_at.data.date()
    )


@bp.get("/customers/<int:customer_id>/follow-ups")
@login_required
def index(customer_id: int):
    """The customer's follow-up timeline, newest first, 50 at a time; ``before`` continues after that entry."""
    customer = _customer_or_404(customer_id)
    before_id = request.args.get("before", type=bounded_int)
    # The cursor still marks the place if it was archived since the page was shown.
    before = _follow_up_or_404(customer, before_id, include_archived=True) if before_id else None
    panel = build_panel(customer, before=before, with_form=before is None, size=PAGE_SIZE)
    return render_page_or_fragment(
        "followups/page.html", "followups/_entries.html", MORE_ID, customer=customer, followup_panel=panel
    )


EXPORT_COLUMNS = [
    Column(_l("Date and time"), lambda row: row.happened_at, DATETIME_FORMAT, width=17),
    Column(_l("Kind"), lambda row: str(FOLLOW_UP_KIND_LABELS.get(row.kind, row.kind))),
    Column(_l("By"), lambda row: row.author_name),
    Column(_l("Contact person"), lambda row: row.contact_name),
    Column(_l("Summary"), lambda row: row.summary, width=50),
    Column(_l("Outcome"), lambda row: row.outcome, width=24),
    Column(_l("Next step"), lambda row: row.next_step, width=24),
    Column(_l("Next follow-up"), lambda row: row.next_follow_up_on, DATE_FORMAT),
]


@bp.get("/customers/<int:customer_id>/follow-ups/export")
@login_required
def export(customer_id: int):
    """The customer's whole follow-up timeline, newest first, as an .xlsx file."""
    customer = _customer_or_404(customer_id)

    def fetch(after, size):
        return timeline(customer.id, after, size)

    return xlsx_response(f"{_('Follow-ups')}-{customer.name}", EXPORT_COLUMNS, keyset_rows(fetch))


@bp.post("/customers/<int:customer_id>/follow-ups")
@login_required
@exactly_once
def create(customer_id: int):
    """Log a follow-up. htmx gets the panel back (422 with the errors); a plain post is redirected."""
    customer = _customer_or_404(customer_id)
    form = FollowUpForm(customer=customer)
    if not form.validate_on_submit():
        panel = build_panel(customer, form)
        return render_page_or_fragment(
            "followups/page.html", "followups/_panel.html", PANEL_ID, 422, customer=customer, followup_panel=panel
        )
    follow_up = FollowUp(customer=customer, user_id=current_user.id)
    _apply(form, follow_up, customer)
    db.session.add(follow_up)
    refresh_schedule(customer)
    db.session.commit()
    if not wants_fragment(PANEL_ID):
        flash(_("Follow-up saved."), "success")
        return redirect(customer_url(customer.id), 303)
    panel = build_panel(customer, saved=True)
    response = render_page_or_fragment(
        "followups/page.html", "followups/_panel.html", PANEL_ID, customer=customer, followup_panel=panel
    )
    # The customer page may refresh its next-date display on this event.
    response.headers["HX-Trigger"] = "follow-up-saved"
    return response


@bp.route("/customers/<int:customer_id>/follow-ups/<int:follow_up_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int, follow_up_id: int):
    """Correct a follow-up (its author, the department head or an admin)."""
    customer = _customer_or_404(customer_id)
    follow_up = _changeable_or_403(customer, follow_up_id)
    form = FollowUpEditForm(obj=follow_up, customer=customer)
    if request.method == "GET":
        form.happened_at.data = wall_clock(follow_up.happened_at)
    ready, conflict = submit_versioned(form, follow_up)
    if ready:
        _apply(form, follow_up, customer)
        refresh_schedule(customer)
        db.session.commit()
        flash(_("Follow-up saved."), "success")
        return redirect(customer_url(customer.id), 303)
    status = edit_status(form, conflict)
    return (
        render_template(
            "followups/edit.html",
            customer=customer,
            follow_up=follow_up,
            form=form,
            conflict=conflict,
            history=history_of(follow_up),
        ),
        status,
    )


@bp.route("/customers/<int:customer_id>/follow-ups/<int:follow_up_id>/archive", methods=["GET", "POST"])
@login_required
def archive(customer_id: int, follow_up_id: int):
    """Archive a follow-up after confirmation; the customer's schedule then follows the newest one left."""
    customer = _customer_or_404(customer_id)
    follow_up = _changeable_or_403(customer, follow_up_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        follow_up.archived_at = utcnow()
        refresh_schedule(customer)
        db.session.commit()
        flash(_("Follow-up archived."), "success")
        return redirect(customer_url(customer.id), 303)
    return render_template("followups/confirm_archive.html", customer=customer, follow_up=follow_up, form=form)


@on_restore(FollowUp)
def _restored(follow_up: FollowUp) -> None:
    """A restored follow-up may be the customer's newest again: its schedule follows."""
    refresh_schedule(follow_up.customer)

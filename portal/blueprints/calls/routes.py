from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import get_scoped_or_404, roles_required
from portal.blueprints.calls import bp
from portal.blueprints.calls.forms import NEW_CUSTOMER, CallForm
from portal.blueprints.calls.matching import MATCH_LIMIT, is_mobile, looks_like_phone, match_customers, usable_query
from portal.blueprints.followups.panel import customer_url
from portal.database import utcnow
from portal.extensions import db
from portal.models import STAGE_LABELS, Customer, FollowUp, FollowUpKind, Role, Stage, User
from portal.rendering import form_status, wants_fragment
from portal.rules.customers import refresh_keys
from portal.rules.followups import company_today, effective_next_date, ensure_default_grade_policies, refresh_schedule
from portal.submissions import exactly_once

MATCHES_ID = "call-matches"
CALL_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)


def _prefill_new_customer(form: CallForm) -> None:
    """What was typed becomes the new customer's phone or name."""
    if looks_like_phone(form.q.data):
        form.phone.data = form.phone.data or form.q.data
    elif form.q.data:
        form.name.data = form.name.data or form.q.data


def _matches_context(form: CallForm, picked: Customer | None = None) -> dict:
    """The match list, with the picked customer kept on top, and which radio starts checked.

    One match is pre-selected (Enter then logs the call on it); no match pre-selects a new customer.
    """
    matches = match_customers(current_user, form.q.data)
    if picked is not None:
        matches = [picked] + [customer for customer in matches if customer.id != picked.id]
    selected = form.customer.data or ""
    if not selected and usable_query(form.q.data):
        if len(matches) == 1:
            selected = str(matches[0].id)
        elif not matches:
            selected = NEW_CUSTOMER
    return {
        "form": form,
        "matches": matches,
        "selected": selected,
        "query_ok": usable_query(form.q.data),
        "match_limit": MATCH_LIMIT,
        "stage_labels": STAGE_LABELS,
    }


def _new_customer(form: CallForm) -> Customer | None:
    """A potential customer owned by the salesperson (or the owner a head/admin chose); None without a department."""
    owner = current_user if form.owner_id is None else db.session.get(User, form.owner_id.data)
    if owner.department_id is None:
        form.form_errors.append(_("The owner has no department; ask an administrator to set one."))
        return None
    phone = form.phone.data or ""
    customer = Customer(
        name=form.name.data,
        stage=Stage.POTENTIAL.value,
        intention_grade=form.intention_grade.data or None,
        owner_id=owner.id,
        department_id=owner.department_id,
        mobile=phone if is_mobile(phone) else "",
        phone="" if is_mobile(phone) else phone,
    )
    refresh_keys(customer)
    db.session.add(customer)
    return customer


@bp.route("/calls/new", methods=["GET", "POST"])
@roles_required(*CALL_ROLES)
@exactly_once
def new():
    """Log an inbound call in one submit: pick the caller's customer from the matches (or create a
    potential customer) and record the call with its summary and next date."""
    if ensure_default_grade_policies():
        db.session.commit()
    form = CallForm(user=current_user)
    picked = None
    if request.method == "GET":
        form.q.data = request.args.get("q", "").strip()
        _prefill_new_customer(form)
    else:
        _prefill_new_customer(form)
        if form.picked_customer_id is not None:
            picked = get_scoped_or_404(Customer, form.picked_customer_id)
    if form.validate_on_submit():
        customer = picked or _new_customer(form)
        if customer is not None:
            db.session.add(
                FollowUp(
                    customer=customer,
                    user_id=current_user.id,
                    kind=FollowUpKind.CALL_IN.value,
                    happened_at=utcnow(),
                    summary=form.summary.data,
                    next_follow_up_on=effective_next_date(
                        form.next_follow_up_on.data, customer.intention_grade, company_today()
                    ),
                )
            )
            refresh_schedule(customer)
            db.session.commit()
            flash(_("Call with %(name)s logged.", name=customer.name), "success")
            if form.is_complaint.data:
                return redirect(url_for("complaints.new", customer=customer.id, channel="phone", content=form.summary.data), 303)
            return redirect(customer_url(customer.id), 303)
    status = 422 if form.form_errors else form_status(form)
    return render_template("calls/new.html", **_matches_context(form, picked)), status


@bp.get("/calls/match")
@roles_required(*CALL_ROLES)
def match():
    """The customers matching what was typed (phone or name), as the call form's choice list."""
    query = request.args.get("q", "").strip()
    if not wants_fragment(MATCHES_ID):
        return redirect(url_for("calls.new", q=query))
    form = CallForm(formdata=None, user=current_user)
    form.q.data = query
    response = make_response(render_template("calls/_matches.html", **_matches_context(form)))
    response.vary.add("HX-Request")
    return response

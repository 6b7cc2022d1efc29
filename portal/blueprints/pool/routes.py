"""Pool views: the pool list (without phones or contacts), claiming, assigning, locking key customers,
the recycling rules and recycling on demand."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from portal.access import get_scoped_or_404, roles_required
from portal.blueprints.customers.queries import lookup_names
from portal.blueprints.pool import bp
from portal.blueprints.pool.compute import (
    claims_today, company_day_start, current_rules, owned_count, recycled_from, run_recycle, take_from_pool,
)
from portal.company_settings import get_setting
from portal.database import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, arg_int, bounded_int
from portal.models import STAGE_LABELS, Customer, Department, PoolRule, Role, User
from portal.rendering import render_page_or_fragment
from portal.rules.pool import claim_problem
from portal.submissions import exactly_once

POOL_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET = "pool-rows"
PAGE_SIZE = 50
CLAIM_MESSAGES = {
    "owned": _l("You already own %(limit)d customers, the most one salesperson may."),
    "daily": _l("You have claimed %(limit)d customers today, the most a day."),
    "too_early": _l("The pool took this customer from you; you may claim it back after %(days)d days."),
}


def _pool_conditions(department_id: int | None) -> list:
    """Pool customers the user may see: their department's; every department for the administrator."""
    conditions = [Customer.pool_since.is_not(None), Customer.archived_at.is_(None)]
    if current_user.role != Role.ADMIN:
        conditions.append(Customer.department_id == current_user.department_id)
    elif department_id:
        conditions.append(Customer.department_id == department_id)
    return conditions


def _pool_customer_or_404(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.archived_at is not None:
        abort(404)
    if current_user.role != Role.ADMIN and customer.department_id != current_user.department_id:
        abort(404)
    return customer


@bp.route("/pool/")
@roles_required(*POOL_ROLES)
def index():
    """The pool: name, type, region, stage, intention grade, last contact and since when it is in
    the pool — no phones, e-mail, WeChat or contacts until claimed. Newest in the pool first."""
    department_id = arg_int("department") if current_user.role == Role.ADMIN else None
    after = arg_int("after")
    stmt = (
        select(Customer.id, Customer.name, Customer.customer_type_id, Customer.region, Customer.stage, Customer.intention_grade,
               Customer.last_follow_up_at, Customer.pool_since, Customer.department_id)
        .where(*_pool_conditions(department_id))
    )
    if after:
        stmt = stmt.where(Customer.id < after)
    found = db.session.execute(stmt.order_by(Customer.id.desc()).limit(PAGE_SIZE + 1)).all()
    rows = found[:PAGE_SIZE]
    count = db.session.scalar(select(func.count()).select_from(Customer).where(*_pool_conditions(department_id)))
    assignees = []
    if current_user.role in (Role.HEAD, Role.ADMIN):
        stmt = select(User).where(User.role.in_([Role.SALES.value, Role.HEAD.value]), User.active.is_(True), User.department_id.is_not(None))
        if current_user.role == Role.HEAD:
            stmt = stmt.where(User.department_id == current_user.department_id)
        assignees = db.session.scalars(stmt.order_by(User.department_id, User.display_name)).all()
    departments = db.session.scalars(select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)).all() \
        if current_user.role == Role.ADMIN else []
    return render_page_or_fragment(
        "pool/index.html", "pool/_rows.html", ROWS_TARGET, rows=rows, count=count, lookups=lookup_names(),
        stage_labels=STAGE_LABELS, next_cursor=rows[-1].id if len(found) > PAGE_SIZE else None, confirm=ConfirmForm(),
        assignees=assignees, departments=departments, department_id=department_id,
    )


@bp.post("/pool/<int:customer_id>/claim")
@roles_required(*POOL_ROLES)
@exactly_once
def claim(customer_id: int):
    """Claim a pool customer in one click, within the limits; of two people claiming it at once,
    exactly one gets it and the other is told so."""
    customer = _pool_customer_or_404(customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if customer.pool_since is None:
        flash(_("Someone has just claimed %(name)s.", name=customer.name), "error")
        return redirect(url_for("pool.index"), 303)
    problem = claim_problem(
        owned=owned_count(current_user.id), max_owned=get_setting("pool.max_owned"),
        claims_today=claims_today(current_user.id, company_day_start(now)), max_claims=get_setting("pool.claims_per_day"),
        recycled_from_me_at=recycled_from(current_user.id, customer.id), claim_back_days=get_setting("pool.claim_back_days"), now=now,
    )
    if problem:
        limits = {"owned": get_setting("pool.max_owned"), "daily": get_setting("pool.claims_per_day")}
        flash(str(CLAIM_MESSAGES[problem]) % {"limit": limits.get(problem, 0), "days": get_setting("pool.claim_back_days")}, "error")
        return redirect(url_for("pool.index"), 303)
    if not take_from_pool(customer, current_user, now, "claim", current_user.id):
        db.session.rollback()
        flash(_("Someone has just claimed %(name)s.", name=customer.name), "error")
        return redirect(url_for("pool.index"), 303)
    db.session.commit()
    flash(_("%(name)s is now yours.", name=customer.name), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id), 303)


@bp.post("/pool/<int:customer_id>/assign")
@roles_required(Role.HEAD.value, Role.ADMIN.value)
def assign(customer_id: int):
    """A head (or the administrator) gives a pool customer to a salesperson of its department."""
    customer = _pool_customer_or_404(customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user = db.session.get(User, bounded_int(request.form.get("user_id", "")))
    except ValueError:
        user = None
    allowed = user is not None and user.active and user.role in (Role.SALES, Role.HEAD) and user.department_id is not None
    if allowed and current_user.role == Role.HEAD:
        allowed = user.department_id == current_user.department_id
    if not allowed:
        flash(_("Choose a salesperson of the department."), "error")
        return redirect(url_for("pool.index"), 303)
    if not take_from_pool(customer, user, utcnow(), "assign", current_user.id):
        db.session.rollback()
        flash(_("Someone has just claimed %(name)s.", name=customer.name), "error")
        return redirect(url_for("pool.index"), 303)
    db.session.commit()
    flash(_("%(name)s assigned to %(user)s.", name=customer.name, user=user.display_name), "success")
    return redirect(url_for("pool.index"), 303)


@bp.post("/customers/<int:customer_id>/lock")
@roles_required(*POOL_ROLES)
def lock(customer_id: int):
    """Lock a key customer so it is never recycled (up to the limit a salesperson has), or unlock it."""
    customer = get_scoped_or_404(Customer, customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if customer.pool_since is not None:
        abort(404)
    if customer.locked:
        customer.locked = False
        message = _("%(name)s unlocked: the recycling rules apply again.", name=customer.name)
    else:
        limit = get_setting("pool.lock_limit")
        locked = db.session.scalar(select(func.count()).select_from(Customer).where(
            Customer.owner_id == customer.owner_id, Customer.locked.is_(True), Customer.archived_at.is_(None)))
        if locked >= limit:
            flash(_("%(limit)d key customers are locked already, the most one salesperson may lock.", limit=limit), "error")
            return redirect(url_for("customers.detail", customer_id=customer.id), 303)
        customer.locked = True
        message = _("%(name)s locked: it never returns to the pool.", name=customer.name)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("customers.detail", customer_id=customer.id), 303)


RULE_LABELS = {
    "grade:A": _l("Grade A: days without a follow-up"), "grade:B": _l("Grade B: days without a follow-up"),
    "grade:C": _l("Grade C: days without a follow-up"), "grade:D": _l("Grade D: days without a follow-up"),
    "stage:intended": _l("Intended customers: days without a contract"),
}


@bp.route("/pool/rules", methods=["GET", "POST"])
@roles_required(Role.ADMIN.value)
def rules():
    """The recycling rules (administrator): days per intention grade and for intended customers."""
    current = current_rules()
    form = ConfirmForm()
    values, errors = {key: str(days) for key, days in current.items()}, {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        wanted = {}
        for key in RULE_LABELS:
            text = request.form.get(key, "").strip()
            values[key] = text
            try:
                wanted[key] = bounded_int(text, minimum=0)
                if wanted[key] > 3650:
                    raise ValueError
            except ValueError:
                errors[key] = _("Enter a whole number of days from 0 to 3650.")
        if not errors:
            stored = {rule.key: rule for rule in db.session.scalars(select(PoolRule))}
            for key, days in wanted.items():
                if key in stored:
                    stored[key].days = days
                    stored[key].archived_at = None
                else:
                    db.session.add(PoolRule(key=key, days=days))
            db.session.commit()
            flash(_("Recycling rules saved."), "success")
            return redirect(url_for("pool.rules"), 303)
    return render_template("pool/rules.html", labels=RULE_LABELS, values=values, errors=errors, form=form), (422 if errors else 200)


@bp.post("/pool/recycle")
@roles_required(Role.ADMIN.value)
def recycle():
    """Run the recycling now (it also runs from ``flask --app portal recycle-customers``)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    moved = run_recycle(utcnow(), current_user.id)
    db.session.commit()
    flash(_("%(count)d customers returned to the pool.", count=moved), "success")
    return redirect(url_for("pool.index"), 303)

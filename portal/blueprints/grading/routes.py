"""Grading, churn and staffing views."""
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from portal.access import get_scoped_or_404, roles_required, scope_clause
from portal.blueprints.grading import bp
from portal.blueprints.grading.compute import last_purchase, latest_run, run_churn, run_grading
from portal.charts import chart as chart_data, series
from portal.company_settings import get_setting
from portal.extensions import db
from portal.forms import ConfirmForm, arg_int
from portal.models import (
    VALUE_GRADES, ChurnDismissal, ChurnFlag, Customer, CustomerValue, Department, GradePolicy, Role, Stage, User,
)
from portal.rules.followups import company_today
from portal.rules.grading import FALL, INTERVAL, QUIET, salespeople_needed, visits_per_year

ANALYSTS = (Role.HEAD.value, Role.ADMIN.value)
CHURN_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
PAGE_SIZE = 50
PARETO_POINTS = 60
# The most urgent first; the rest follow as these are dealt with.
CHURN_LIST_LIMIT = 200


def _value_scope(run_id: int) -> list:
    """Graded customers of the run the user may see: a head's department, everyone for the administrator."""
    conditions = [CustomerValue.run_id == run_id]
    if current_user.role == Role.HEAD:
        conditions.append(CustomerValue.department_id == current_user.department_id)
    return conditions


def pareto_points(run) -> tuple[list, int | None]:
    """The Pareto curve over the whole company (the ranking is the company's), sampled to a readable
    size: (rank, revenue, cumulative share, grade) rows, and the rank of the first customer graded B
    by volume (the A/B boundary, always among the rows), None when every customer is A."""
    boundary = db.session.scalar(select(func.min(CustomerValue.rank)).where(CustomerValue.run_id == run.id,
                                                                             CustomerValue.grade.like("B%")))
    step = max(run.customers // PARETO_POINTS, 1)
    sampled = (CustomerValue.rank % step == 0) | (CustomerValue.rank == 1)
    if boundary is not None:
        sampled = sampled | CustomerValue.rank.in_([boundary - 1, boundary])
    points = db.session.execute(
        select(CustomerValue.rank, CustomerValue.revenue, CustomerValue.cumulative_share, CustomerValue.grade)
        .where(CustomerValue.run_id == run.id, sampled).order_by(CustomerValue.rank)
    ).all()
    return points, boundary


def pareto_chart(points, boundary: int | None, volume_share) -> dict:
    """Bars of each sampled customer's revenue, the cumulative share of revenue as a line on a
    percentage axis, the volume line (80 %) across it and the A/B boundary marked; a click opens
    the grade's customers from that rank on."""
    return chart_data(
        [str(rank) for rank, _revenue, _share, _grade in points],
        [series(_("Revenue"), [revenue for _rank, revenue, _share, _grade in points], "money"),
         series(_("Cumulative share of revenue"), [(share * 100).quantize(Decimal("0.1")) for _rank, _revenue, share, _grade in points],
                "percent", kind="line", axis=1)],
        links=[url_for("grading.customers", grade=grade, after=rank - 1) for rank, _revenue, _share, grade in points],
        lines=[(volume_share, f"{Decimal(volume_share).normalize():f} %", 1)],
        marks=[(str(boundary), _("A | B"))] if boundary is not None else None,
    )


@bp.route("/grading/")
@roles_required(*ANALYSTS)
def index():
    """The latest grading: the Pareto curve with the line at the volume share, each grade's count
    and share of revenue and gross profit, the service policies, and when it was computed."""
    run = latest_run()
    if run is None or run.customers == 0:
        return render_template("grading/index.html", run=run, confirm=ConfirmForm())
    conditions = _value_scope(run.id)
    grades = {grade: {"count": 0, "revenue": Decimal("0"), "profit": Decimal("0")} for grade in VALUE_GRADES}
    for grade, count, revenue, profit in db.session.execute(
        select(CustomerValue.grade, func.count(), func.sum(CustomerValue.revenue), func.sum(CustomerValue.profit))
        .where(*conditions).group_by(CustomerValue.grade)
    ):
        grades[grade] = {"count": count, "revenue": Decimal(revenue), "profit": Decimal(profit)}
    revenue_total = sum((g["revenue"] for g in grades.values()), Decimal("0"))
    profit_total = sum((g["profit"] for g in grades.values()), Decimal("0"))
    points, boundary = pareto_points(run)
    chart = pareto_chart(points, boundary, run.volume_share)
    return render_template(
        "grading/index.html", run=run, grades=grades, revenue_total=revenue_total, profit_total=profit_total, chart=chart,
        points=points, boundary=boundary,
        policies={grade: get_setting(f"grading.policy_{grade}") for grade in VALUE_GRADES}, confirm=ConfirmForm(),
        line=run.volume_share,
    )


@bp.route("/grading/customers")
@roles_required(*ANALYSTS)
def customers():
    """The customers of one grade in the latest grading, by rank (50 a page)."""
    grade = request.args.get("grade", "")
    grade = grade if grade in VALUE_GRADES else VALUE_GRADES[0]
    run = latest_run()
    if run is None:
        return redirect(url_for("grading.index"))
    after = arg_int("after", 0, minimum=0)
    rows = db.session.execute(
        select(CustomerValue.rank, CustomerValue.revenue, CustomerValue.profit, CustomerValue.costed_quantity,
               CustomerValue.cumulative_share, Customer.id, Customer.name, User.display_name)
        .join(Customer, Customer.id == CustomerValue.customer_id).join(User, User.id == CustomerValue.owner_id)
        .where(*_value_scope(run.id), CustomerValue.grade == grade, CustomerValue.rank > after)
        .order_by(CustomerValue.rank).limit(PAGE_SIZE + 1)
    ).all()
    next_after = rows[PAGE_SIZE - 1].rank if len(rows) > PAGE_SIZE else None
    return render_template("grading/customers.html", run=run, grade=grade, rows=rows[:PAGE_SIZE], next_after=next_after,
                           policy=get_setting(f"grading.policy_{grade}"))


@bp.post("/grading/recompute")
@roles_required(*ANALYSTS)
def recompute():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run = run_grading(company_today(), current_user.id)
    db.session.commit()
    flash(_("%(count)d customers graded.", count=run.customers), "success")
    return redirect(url_for("grading.index"), 303)


# --- churn --------------------------------------------------------------------------------------

RULE_TEXTS = {
    INTERVAL: lambda f: _("%(days)d days since the last purchase; it usually buys every %(interval)s days",
                          days=f.days_since_purchase, interval=f.average_interval),
    QUIET: lambda f: _("no follow-up for %(days)d days", days=f.days_since_follow_up) if f.days_since_follow_up is not None
    else _("never followed up"),
    FALL: lambda f: _("bought %(last)s in the last 12 months against %(before)s the 12 before",
                      last=f"{f.amount_last:,.2f}", before=f"{f.amount_before:,.2f}"),
}


def reasons_in_words(flag: ChurnFlag) -> list[str]:
    words = [RULE_TEXTS[rule](flag) for rule in flag.rules.split(",") if rule in RULE_TEXTS]
    if flag.purchases < 3:
        words.append(_("the buying-rhythm rule needs 3 purchases (it has %(count)d)", count=flag.purchases))
    return words


@bp.route("/churn/")
@roles_required(*CHURN_ROLES)
def churn():
    """Signed customers at risk (the owner's, a head's department, all for the administrator), by
    value grade then days overdue, each with its reasons in words."""
    grade_order = case({grade: position for position, grade in enumerate(VALUE_GRADES)}, value=Customer.value_grade, else_=len(VALUE_GRADES))
    flags = db.session.scalars(
        select(ChurnFlag).join(Customer, Customer.id == ChurnFlag.customer_id).options(contains_eager(ChurnFlag.customer))
        .where(scope_clause(ChurnFlag, current_user), Customer.archived_at.is_(None))
        .order_by(grade_order, ChurnFlag.days_overdue.desc(), ChurnFlag.customer_id).limit(CHURN_LIST_LIMIT)
    ).all()
    computed_at = db.session.scalar(select(func.max(ChurnFlag.computed_at)))
    total = db.session.scalar(select(func.count()).select_from(ChurnFlag).where(scope_clause(ChurnFlag, current_user)))
    return render_template("grading/churn.html", flags=flags, reasons=reasons_in_words, confirm=ConfirmForm(),
                           computed_at=computed_at, total=total)


@bp.post("/churn/recompute")
@roles_required(*CHURN_ROLES)
def churn_recompute():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    flagged = run_churn(company_today())
    db.session.commit()
    flash(_("%(count)d customers flagged.", count=flagged), "success")
    return redirect(url_for("grading.churn"), 303)


@bp.post("/churn/<int:customer_id>/win-back")
@roles_required(*CHURN_ROLES)
def win_back(customer_id: int):
    """Plan a win-back follow-up for tomorrow."""
    customer = get_scoped_or_404(Customer, customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    customer.next_follow_up_on = company_today() + timedelta(days=1)
    db.session.commit()
    flash(_("Follow-up with %(name)s planned for tomorrow.", name=customer.name), "success")
    return redirect(url_for("grading.churn"), 303)


@bp.post("/churn/<int:customer_id>/dismiss")
@roles_required(*CHURN_ROLES)
def dismiss(customer_id: int):
    """"Checked, not a risk": the warning goes until the customer's next purchase."""
    customer = get_scoped_or_404(Customer, customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db.session.add(ChurnDismissal(customer_id=customer.id, last_purchase_on=last_purchase(customer.id),
                                  checked_by_id=current_user.id, note=request.form.get("note", "")[:300]))
    for flag in db.session.scalars(select(ChurnFlag).where(ChurnFlag.customer_id == customer.id)):
        db.session.delete(flag)
    db.session.commit()
    flash(_("%(name)s marked as checked until its next purchase.", name=customer.name), "success")
    return redirect(url_for("grading.churn"), 303)


# --- staffing -----------------------------------------------------------------------------------


@bp.route("/grading/staffing")
@roles_required(*ANALYSTS)
def staffing():
    """工作量法: the visits the department's active customers need in a year by their intention
    grade's follow-up interval, the salespeople that takes, beside the actual headcount and each
    salesperson's own load."""
    intervals = {policy.grade: policy.interval_days for policy in db.session.scalars(select(GradePolicy))}
    per_person = get_setting("staffing.visits_per_year")
    conditions = [Customer.archived_at.is_(None), Customer.stage != Stage.LOST.value, Customer.intention_grade.is_not(None)]
    if current_user.role == Role.HEAD:
        conditions.append(Customer.department_id == current_user.department_id)
    load, department_visits = defaultdict(Decimal), defaultdict(Decimal)
    for owner_id, department_id, grade, count in db.session.execute(
        select(Customer.owner_id, Customer.department_id, Customer.intention_grade, func.count()).where(*conditions)
        .group_by(Customer.owner_id, Customer.department_id, Customer.intention_grade)
    ):
        visits = visits_per_year(intervals.get(grade)) * count
        load[owner_id] += visits
        department_visits[department_id] += visits
    people_stmt = select(User).where(User.role == Role.SALES.value, User.active.is_(True), User.department_id.is_not(None))
    departments_stmt = select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)
    if current_user.role == Role.HEAD:
        people_stmt = people_stmt.where(User.department_id == current_user.department_id)
        departments_stmt = departments_stmt.where(Department.id == current_user.department_id)
    people = db.session.scalars(people_stmt.order_by(User.display_name)).all()
    rows = []
    for department in db.session.scalars(departments_stmt):
        visits = department_visits.get(department.id, Decimal("0"))
        staff = [(person, load.get(person.id, Decimal("0"))) for person in people if person.department_id == department.id]
        rows.append((department, visits, salespeople_needed(visits, per_person), len(staff), staff))
    return render_template("grading/staffing.html", rows=rows, per_person=per_person, intervals=intervals)

"""Performance views: my performance (salesperson), the team with its ranking (head), all
departments (administrator, HR), monthly targets, and the performance sheets with their workbook."""
from datetime import timedelta
from types import SimpleNamespace
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.access import login_required, roles_required
from portal.blueprints.performance import bp
from portal.blueprints.performance.sheets import sheet_workbook
from portal.charts import chart, line_chart, series
from portal.company_settings import get_setting
from portal.exporting import xlsx_file_response
from portal.figures_cache import cached_figures
from portal.database import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, int_or_none, parse_decimal
from portal.models import FOLLOW_UP_KIND_LABELS, Department, Role, SalesTarget, User
from portal.panels import panels_for
from portal.periods import period_filters_for
from portal.rendering import id_link
from portal.rules.followups import company_today
from portal.rules.performance import Metrics, monthly_targets, monthly_trend, salesperson_metrics, team_figures, total_of
from portal.rules.periods import ALL_PERIOD_KINDS, month_period

SHEET_ROLES = (Role.HR.value, Role.HEAD.value, Role.ADMIN.value)
TARGET_ROLES = (Role.HEAD.value, Role.ADMIN.value)
MAX_TARGET = Decimal("9999999999.99")
MAX_YEARS = 5


def _filters():
    """The period asked for; a head sees their own department only, a salesperson only themselves."""
    return period_filters_for(current_user, request.args, company_today(), kinds=ALL_PERIOD_KINDS, max_years=MAX_YEARS)


def salespeople(department_id: int | None = None) -> list[User]:
    """People whose figures count: salespeople and heads with a department, active or not (a person
    who left still has the period's results), by department and name."""
    stmt = select(User).where(User.role.in_([Role.SALES.value, Role.HEAD.value]), User.department_id.is_not(None))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return list(db.session.scalars(stmt.order_by(User.department_id, User.display_name, User.id)))


def _departments(department_id: int | None = None) -> list[Department]:
    stmt = select(Department).where(Department.archived_at.is_(None))
    if department_id is not None:
        stmt = stmt.where(Department.id == department_id)
    return list(db.session.scalars(stmt.order_by(Department.name)))


def _trend_lists_match(view: str) -> bool:
    """Whether a month of the trends can open the records behind it: the contract and quote lists
    show what the user may see (a salesperson's own, a head's department, everything for the
    administrator), which is the trend's set except for the administrator looking at one
    department; HR opens no record at all."""
    return current_user.role != Role.HR and not (current_user.role == Role.ADMIN and view == "team")


def _trend_charts(user_ids: list[int], period, today, links: bool, owner: int | None) -> dict:
    """Deal amount against the target and the close rate over the 12 months ending with the period's
    last month (or this month when the period goes on after today); with ``links`` a month opens its contracts and its won quotes (``owner``'s only)."""
    months, day = [], min(period.end, today).replace(day=1)
    for _month in range(12):
        months.insert(0, month_period(day))
        day = (day - timedelta(days=1)).replace(day=1)
    trend = monthly_trend(months, user_ids)
    targets = monthly_targets(months, user_ids)
    labels = [month.start.strftime("%Y-%m") for month, _amount, _rate in trend]
    owner_args = {"owner": owner} if owner else {}
    contracts = [url_for("contracts.index", **{"from": month.start.isoformat(), "to": month.end.isoformat()}, **owner_args)
                 for month in months] if links else None
    quotes = [url_for("quotes.index", status="won", decided_from=month.start.isoformat(), decided_to=month.end.isoformat(),
                      **owner_args) for month in months] if links else None
    rows = [SimpleNamespace(label=label, month=month, amount=amount, target=target, close_rate=rate,
                            contracts=contracts[index] if links else None, quotes=quotes[index] if links else None)
            for index, (label, (month, amount, rate), target) in enumerate(zip(labels, trend, targets))]
    amount_series = [series(_("Deal amount"), [row.amount for row in rows], "money")]
    if any(targets):
        amount_series.append(series(_("Target"), targets, "money", kind="line", dashed=True))
    return {
        "amount": chart(labels, amount_series, links=contracts),
        "close_rate": line_chart([(row.label, row.close_rate, row.quotes) for row in rows],
                                 _("Close rate"), maximum=100),
        "rows": rows,
    }


@bp.route("/")
@login_required
def index():
    """My performance, the team's with its ranking, or every department's, for a period against the
    period before, with 12-month trends; every figure drills down to its records (not for HR).

    The figures are kept a few minutes (``figures_cache``) per scope and period; the page says when
    they were computed and offers a refresh."""
    filters = _filters()
    departments = _departments() if current_user.role in (Role.ADMIN, Role.HR) else []
    if filters.error:
        return render_template("performance/index.html", filters=filters, departments=departments), 422
    period, previous = filters.period, filters.period.previous()
    if current_user.role == Role.SALES:
        people, view = [current_user], "mine"
    elif filters.department is not None:
        people, view = salespeople(filters.department), "team"
    else:
        people, view = salespeople(), "company"
    ids = [person.id for person in people]
    scope = (str(current_user.role), current_user.department_id, current_user.id if view == "mine" else None)
    figures = cached_figures(
        "performance", scope, (view, period.kind, period.start, period.end, filters.department, filters.today, tuple(ids)),
        lambda: _performance_figures(view, ids, period, previous, filters.today),
    )
    current, before, weeks, activity, charts = figures.value
    rows = sorted(((person, current[person.id], before[person.id]) for person in people),
                  key=lambda row: (-row[1].deal_amount, row[0].display_name))
    department_rows = []
    if view == "company":
        by_department = {}
        for person in people:
            by_department.setdefault(person.department_id, []).append(person.id)
        for department in departments:
            members = by_department.get(department.id, [])
            department_rows.append((department, total_of(current[i] for i in members), total_of(before[i] for i in members)))
        department_rows.sort(key=lambda row: -row[1].deal_amount)
    return render_template(
        "performance/index.html", filters=filters, weeks=weeks, activity=activity, departments=departments, view=view, rows=rows,
        department_rows=department_rows, total=total_of(current.values()), total_before=total_of(before.values()),
        period=period, previous=previous, kind_labels=FOLLOW_UP_KIND_LABELS, charts=charts, figures_at=figures.computed_at, id_link=id_link,
        drill=current_user.role != Role.HR, department=db.session.get(Department, filters.department) if filters.department else None,
        # Other areas' figures for the same period (the complaints summary for heads and the administrator).
        panels=panels_for("performance", SimpleNamespace(period=period, department_id=filters.department), current_user),
    )


def _performance_figures(view: str, ids: list[int], period, previous, today):
    """What the performance page computes: each person's metrics of the period and of the one
    before, the weeks' activity (not company-wide) and the 12-month trend charts."""
    current, before, weeks, activity = team_figures(period, previous, ids, today, with_weeks=view != "company")
    charts = _trend_charts(ids, period, today, _trend_lists_match(view), current_user.id if view == "mine" else None)
    return current, before, weeks, dict(activity), charts


# --- targets ------------------------------------------------------------------------------------


def _target_people(department_id: int | None) -> list[User]:
    if current_user.role == Role.HEAD:
        department_id = current_user.department_id
    return salespeople(department_id)


@bp.route("/targets", methods=["GET", "POST"])
@roles_required(*TARGET_ROLES)
def targets():
    """The target grid (业绩目标): people × 12 months of a year; heads their department, the
    administrator everyone. All cells are saved together, or none when one is wrong."""
    today = company_today()
    year = int_or_none(request.values.get("year")) or today.year
    year = min(max(year, 2000), 2100)
    department_id = int_or_none(request.values.get("department")) if current_user.role == Role.ADMIN else None
    people = _target_people(department_id)
    # One row per person and month, live or archived (a cleared cell): setting it again revives it.
    existing = {
        (target.user_id, target.month): target
        for target in db.session.scalars(select(SalesTarget).where(
            SalesTarget.year == year, SalesTarget.user_id.in_([p.id for p in people])))
    }
    form = ConfirmForm()
    values = {key: f"{target.amount:.2f}" for key, target in existing.items() if target.archived_at is None}
    errors = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        wanted = {}
        for person in people:
            for month in range(1, 13):
                text = request.form.get(f"t-{person.id}-{month}", "").strip()
                values[(person.id, month)] = text
                if not text:
                    wanted[(person.id, month)] = None
                    continue
                try:
                    amount = parse_decimal(text, maximum=MAX_TARGET)
                    if amount < 0:
                        raise ValueError("negative")
                    wanted[(person.id, month)] = amount
                except ValueError:
                    errors[(person.id, month)] = _("Enter an amount of 0 or more, like 50000.")
        if not errors:
            for key, amount in wanted.items():
                apply_target(existing.get(key), key, year, amount)
            try:
                db.session.commit()
            except IntegrityError:  # someone saved the same new cell a moment before
                db.session.rollback()
                flash(_("Someone else saved targets of this year at the same time; nothing was saved. Check the grid and save again."), "error")
                return redirect(url_for("performance.targets", year=year, department=department_id or None), 303)
            flash(_("Targets for %(year)d saved.", year=year), "success")
            return redirect(url_for("performance.targets", year=year, department=department_id or None), 303)
    departments = _departments() if current_user.role == Role.ADMIN else []
    return render_template("performance/targets.html", people=people, year=year, values=values, errors=errors, form=form,
                           departments=departments, department_id=department_id), (422 if errors else 200)


def apply_target(target: SalesTarget | None, key: tuple[int, int], year: int, amount: Decimal | None) -> None:
    """One cell of the grid: an empty cell (``None``) archives the month's target; an amount, 0
    included, is the target: a new row, the live row changed, or the archived row restored with it."""
    if amount is None:
        if target is not None and target.archived_at is None:
            target.archived_at = utcnow()
    elif target is None:
        db.session.add(SalesTarget(user_id=key[0], year=year, month=key[1], amount=amount))
    elif target.archived_at is not None:
        target.archived_at = None
        target.amount = amount
    elif target.amount != amount:
        target.amount = amount


# --- performance sheets -------------------------------------------------------------------------


def sheet_tables(period, department_id: int | None, people: list | None = None,
                 metrics: dict | None = None) -> list[tuple[Department, list, Metrics]]:
    """One table per department: (department, [(person, metrics)] by name, totals); ``people`` and
    their ``metrics`` are read here unless given."""
    people = salespeople(department_id) if people is None else people
    metrics = salesperson_metrics(period, [person.id for person in people]) if metrics is None else metrics
    tables = []
    for department in _departments(department_id):
        rows = [(person, metrics[person.id]) for person in people if person.department_id == department.id]
        tables.append((department, rows, total_of(m for _person, m in rows)))
    return tables


@bp.route("/sheet")
@roles_required(*SHEET_ROLES)
def sheet():
    """The performance sheet (业绩考核表) of a period: a table per department, a row per salesperson
    with the metrics, target and attainment, and a totals row. Names of salespeople only.

    The metrics are kept a few minutes like the performance page's (the page says when they were
    computed, with a refresh); the workbook is always computed afresh."""
    filters = _filters()
    departments = _departments() if current_user.role in (Role.ADMIN, Role.HR) else []
    if filters.error:
        return render_template("performance/sheet.html", filters=filters, departments=departments, tables=[]), 422
    period, people = filters.period, salespeople(filters.department)
    ids = tuple(person.id for person in people)
    figures = cached_figures("performance.sheet", (str(current_user.role), current_user.department_id),
                             (period.kind, period.start, period.end, filters.department, ids),
                             lambda: salesperson_metrics(period, list(ids)))
    return render_template("performance/sheet.html", filters=filters, departments=departments, period=period,
                           tables=sheet_tables(period, filters.department, people, figures.value), figures_at=figures.computed_at)


@bp.route("/sheet.xlsx")
@roles_required(*SHEET_ROLES)
def sheet_export():
    """The sheet as a formatted workbook: a summary worksheet and one per department."""
    filters = _filters()
    if filters.error:
        abort(404)
    period = filters.period
    tables = sheet_tables(period, filters.department)
    shown = filters.shown if filters.shown.end >= period.start else period
    data = sheet_workbook(get_setting("company.name") or _("Sales performance"), shown, tables)
    return xlsx_file_response(data, f'{_("Performance sheet")} {period.start.isoformat()}_{period.end.isoformat()}.xlsx')

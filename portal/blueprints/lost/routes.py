"""The lost-order analysis (heads: their department; admin: any or all), its drill-down lists and
export, lost orders recorded without a quote, and the head's review."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.access import get_scoped_or_404, roles_required, scope_clause
from portal.blueprints.lost import bp
from portal.blueprints.lost.forms import AnalysisFilters, CustomerLossForm, LostRecordForm, ReviewForm
from portal.blueprints.quotes.queries import active_competitors, competitor_for, search_products
from portal.charts import bar_chart, chart, line_chart, series, stacked_columns
from portal.database import utcnow
from portal.exporting import DATE_FORMAT, MONEY_FORMAT, Column, write_sheets_response
from portal.extensions import db
from portal.figures_cache import cached_figures
from portal.forms import bounded_int
from portal.lookups import ensure_default_entries
from portal.models import LOST_REASON, Customer, CustomerLoss, Department, LostOrder, Quote, Role, Stage
from portal.rendering import form_status, id_link
from portal.periods import period_filters_for
from portal.rules import lost_orders as figures
from portal.rules.followups import company_today
from portal.submissions import exactly_once

ANALYSTS = (Role.HEAD.value, Role.ADMIN.value)
CUSTOMER_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
DIMENSION_LABELS = {
    "reason": _l("By reason"),
    "competitor": _l("By competitor"),
    "salesperson": _l("By salesperson"),
    "product": _l("By product"),
    "category": _l("By category"),
    "month": _l("By month"),
}
ORDERS_PAGE_SIZE = 50


def _analysis_filters() -> AnalysisFilters:
    """The period and department asked for; a head may look at their own department only."""
    return period_filters_for(current_user, request.args, company_today())


def _rate_text(rate) -> str:
    return "—" if rate is None else f"{rate} %"


@bp.route("/analysis")
@roles_required(*ANALYSTS)
def analysis():
    """Lost orders of a period by reason, competitor, salesperson, product, category and month,
    the 丢单率 with its trend, the price gap to competitors, and the previous period beside.

    The figures are kept a few minutes (``figures_cache``) per scope, period and department; the
    page says when they were computed and offers a refresh. The review inbox is always read live."""
    filters = _analysis_filters()
    departments = db.session.scalars(select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)).all()
    if filters.error:
        return render_template("lost/analysis.html", filters=filters, departments=departments), 422
    period, department = filters.period, filters.department
    drill = _drill_links(filters.as_args())
    month_keys = figures.months_of(filters.shown)  # no month after this one
    scope = (str(current_user.role), current_user.department_id)
    kept = cached_figures("lost_analysis", scope, (period.kind, period.start, period.end, department, tuple(month_keys)),
                          lambda: _analysis_figures(period, department, month_keys, drill))
    return render_template(
        "lost/analysis.html",
        filters=filters,
        departments=departments,
        period=period,
        previous=period.previous(),
        **kept.value,
        figures_at=kept.computed_at,
        dimension_labels=DIMENSION_LABELS,
        drill=drill,
        rate_text=_rate_text,
        inbox=_inbox(department) if department else [],
        review_form=ReviewForm(formdata=None),
        id_link=id_link,
    )


def _drill_links(args: dict):
    """``drill(dimension, key)``: the link to the lost orders behind a bucket, in the period and
    department of ``args``. ``url_for`` runs once per dimension; each bucket's key (an id, a month
    YYYY-MM or "none", none of which need quoting) is put in its place."""
    marker = "DRILLKEY"
    bases = {}

    def drill(dimension, key):
        base = bases.get(dimension)
        if base is None:
            base = bases[dimension] = url_for("lost.orders", dimension=dimension, key=marker, **args)
        return base.replace(marker, "none" if key is None else str(key))

    return drill


def _analysis_figures(period, department, month_keys, drill) -> dict:
    """Every figure and chart of the analysis page (see ``rules.lost_orders.analysis``)."""
    found = figures.analysis(period, department)
    tables = found.tables
    charts = {
        dimension: bar_chart(
            [(bucket.label or "—", bucket.amount, drill(dimension, bucket.key)) for bucket in tables[dimension][:12]],
            _("Amount lost"),
        )
        for dimension in ("reason", "competitor", "salesperson", "product")
    }
    by_month_reason = found.by_month_and_reason
    reasons = {bucket.key: bucket.label for bucket in tables["reason"]}
    charts["month"] = stacked_columns(
        [(month, drill("month", month)) for month in month_keys],
        [(label, [by_month_reason.get(month, {}).get(reason_id, 0) for month in month_keys]) for reason_id, label in reasons.items()],
    )
    monthly_rates = {rate.key: rate for rate in found.rates["month"]}
    charts["rate"] = line_chart(
        [(month, monthly_rates[month].rate if month in monthly_rates else None, drill("month", month)) for month in month_keys],
        _("Lost-order rate"), maximum=100,
    )
    prices = found.prices
    charts["prices"] = chart(
        [row.label for row in prices],
        [series(_("Our price"), [row.ours for row in prices], "money"),
         series(_("Competitor's price"), [row.theirs for row in prices], "money")],
        links=[drill("competitor", row.key) for row in prices],
    )
    return {
        "current": found.current,
        "before": found.before,
        "tables": tables,
        "charts": charts,
        "rates": {by: found.rates[by] for by in ("salesperson", "product")},
        "monthly_rates": [monthly_rates.get(month) or figures.Rate(month, month, 0, 0) for month in month_keys],
        "competitor_shares": found.competitor_shares,
        "gap": found.gap,
        "prices": prices,
    }


def _inbox(department_id: int) -> list[LostOrder]:
    """The department's lost orders the head has not reviewed yet, newest first."""
    stmt = (
        select(LostOrder)
        .options(joinedload(LostOrder.customer), joinedload(LostOrder.reason), joinedload(LostOrder.competitor), joinedload(LostOrder.owner))
        .where(LostOrder.department_id == department_id, LostOrder.reviewed_at.is_(None), LostOrder.archived_at.is_(None))
        .order_by(LostOrder.lost_on.desc(), LostOrder.id.desc())
        .limit(50)
    )
    return list(db.session.scalars(stmt))


# --- the records behind a figure ------------------------------------------------------------------


def _orders_statement(filters: AnalysisFilters, dimension: str | None, key):
    stmt = (
        select(LostOrder)
        .options(joinedload(LostOrder.customer), joinedload(LostOrder.reason), joinedload(LostOrder.competitor),
                 joinedload(LostOrder.owner), joinedload(LostOrder.quote))
        .where(*figures.lost_conditions(filters.period, filters.department), scope_clause(LostOrder, current_user))
    )
    if dimension:
        stmt = stmt.where(figures.drill_down_condition(dimension, key))
    return stmt.order_by(LostOrder.lost_on.desc(), LostOrder.id.desc())


def _drill_key(dimension: str | None):
    """The bucket a drill-down link names: an id, a month (YYYY-MM) or "none"; None if malformed."""
    raw = request.args.get("key", "")
    if dimension is None:
        return None
    if raw == "none":
        return None
    if dimension == "month":
        return raw if len(raw) == 7 and raw[:4].isdigit() and raw[4] == "-" and raw[5:].isdigit() else abort(404)
    try:
        return bounded_int(raw)
    except ValueError:
        abort(404)


@bp.route("/orders")
@roles_required(*CUSTOMER_ROLES)
def orders():
    """The lost orders behind a figure of the analysis (same period, department and bucket), or a
    salesperson's own lost orders; the total adds up to the figure clicked."""
    filters = _analysis_filters()
    if filters.error:
        abort(404)
    dimension = request.args.get("dimension") or None
    if dimension is not None and dimension not in figures.DIMENSIONS:
        abort(404)
    key = _drill_key(dimension)
    rows = list(db.session.scalars(_orders_statement(filters, dimension, key).limit(ORDERS_PAGE_SIZE * 20)))
    # A product's figure counts that product's share of each order; so does its drill-down.
    shares = figures.product_amounts(dimension, key, filters.period, filters.department) if dimension in ("product", "category") else None
    amounts = {row.id: (shares.get(row.id, 0) if shares is not None else row.amount) for row in rows}
    return render_template(
        "lost/orders.html", rows=rows, filters=filters, period=filters.period, dimension=dimension,
        dimension_label=DIMENSION_LABELS.get(dimension), amounts=amounts, by_product=shares is not None,
        total=sum(amounts.values(), start=0), limited=len(rows) >= ORDERS_PAGE_SIZE * 20,
    )


ORDER_COLUMNS = [
    Column(_l("Date lost"), lambda row: row.lost_on, DATE_FORMAT),
    Column(_l("Customer"), lambda row: row.customer.name, width=30),
    Column(_l("Quote"), lambda row: row.quote.number if row.quote else ""),
    Column(_l("Salesperson"), lambda row: row.owner.display_name),
    Column(_l("Reason"), lambda row: row.reason.name),
    Column(_l("Competitor that won"), lambda row: row.competitor.name if row.competitor else ""),
    Column(_l("Competitor's model"), lambda row: row.competitor_model),
    Column(_l("Competitor's price"), lambda row: row.competitor_price, MONEY_FORMAT),
    Column(_l("Amount"), lambda row: row.amount, MONEY_FORMAT, width=16),
    Column(_l("Details"), lambda row: row.details, width=40),
]
BUCKET_COLUMNS = [
    Column(_l("Name"), lambda bucket: bucket.label or "—", width=24),
    Column(_l("Lost orders"), lambda bucket: bucket.count),
    Column(_l("Amount"), lambda bucket: bucket.amount, MONEY_FORMAT, width=16),
]
RATE_COLUMNS = [
    Column(_l("Name"), lambda rate: rate.label, width=24),
    Column(_l("Won"), lambda rate: rate.won),
    Column(_l("Lost"), lambda rate: rate.lost),
    Column(_l("Lost-order rate (%)"), lambda rate: rate.rate, "0.0"),
]


@bp.route("/analysis/export")
@roles_required(*ANALYSTS)
def export():
    """The analysis as a workbook: a sheet per table of the page, and the lost orders behind them."""
    filters = _analysis_filters()
    if filters.error:
        abort(404)
    period, department = filters.period, filters.department
    sheets = [(str(DIMENSION_LABELS[dimension]), BUCKET_COLUMNS, figures.lost_by(dimension, period, department))
              for dimension in figures.DIMENSIONS]
    sheets += [
        (_("Lost-order rate by month"), RATE_COLUMNS, figures.lost_rate(period, department, by="month")),
        (_("Lost-order rate by salesperson"), RATE_COLUMNS, figures.lost_rate(period, department, by="salesperson")),
        (_("Lost orders"), ORDER_COLUMNS, db.session.scalars(_orders_statement(filters, None, None))),
    ]
    return write_sheets_response(f"{_('Lost-order analysis')} {period.start}–{period.end}", sheets)


# --- recording and reviewing ----------------------------------------------------------------------


@bp.route("/new/<int:customer_id>", methods=["GET", "POST"])
@roles_required(*CUSTOMER_ROLES)
@exactly_once
def new(customer_id: int):
    """Record an order lost before any quote: product, estimated amount, competitor, reason."""
    customer = get_scoped_or_404(Customer, customer_id)
    if customer.archived_at is not None:
        abort(404)
    if ensure_default_entries(LOST_REASON):
        db.session.commit()
    form = LostRecordForm(competitors=active_competitors(), products=search_products(""))
    if request.method == "GET":
        form.lost_on.data = company_today()
    if form.validate_on_submit():
        db.session.add(
            LostOrder(
                customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
                lost_on=form.lost_on.data, reason_id=form.reason_id.data, competitor=competitor_for(form),
                competitor_model=form.competitor_model.data or "", competitor_price=form.competitor_price.data,
                amount=form.amount.data, product_id=form.product_id.data or None, details=form.details.data or "",
            )
        )
        db.session.commit()
        flash(_("Lost order recorded."), "success")
        return redirect(url_for("customers.detail", customer_id=customer.id), 303)
    return render_template("lost/new.html", form=form, customer=customer), form_status(form)


@bp.post("/orders/<int:lost_order_id>/review")
@roles_required(*ANALYSTS)
def review(lost_order_id: int):
    """The head marks a lost order reviewed, with an optional comment to the salesperson."""
    lost_order = get_scoped_or_404(LostOrder, lost_order_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("The comment is too long."), "error")
        return redirect(url_for("lost.analysis"), 303)
    lost_order.reviewed_at = utcnow()
    lost_order.reviewed_by_id = current_user.id
    lost_order.review_comment = form.comment.data or ""
    db.session.commit()
    flash(_("Marked as reviewed."), "success")
    return redirect(url_for("lost.analysis"), 303)



# --- lost customers (流失客户) ----------------------------------------------------------------------


@bp.route("/customers/<int:customer_id>/mark", methods=["GET", "POST"])
@roles_required(*CUSTOMER_ROLES)
@exactly_once
def mark_customer(customer_id: int):
    """Mark a signed customer lost (stage 流失) with the reason and the competitor it went to."""
    customer = get_scoped_or_404(Customer, customer_id)
    if customer.archived_at is not None:
        abort(404)
    if customer.stage != Stage.SIGNED.value:
        flash(_("Only a signed customer can be marked lost."), "error")
        return redirect(url_for("customers.detail", customer_id=customer.id), 303)
    if ensure_default_entries(LOST_REASON):
        db.session.commit()
    form = CustomerLossForm(competitors=active_competitors())
    if request.method == "GET":
        form.lost_on.data = company_today()
    if form.validate_on_submit():
        customer.stage = Stage.LOST.value
        db.session.add(CustomerLoss(
            customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
            lost_on=form.lost_on.data, reason_id=form.reason_id.data, competitor=competitor_for(form),
            details=form.details.data or "",
        ))
        db.session.commit()
        flash(_("%(name)s marked as a lost customer.", name=customer.name), "success")
        return redirect(url_for("customers.detail", customer_id=customer.id), 303)
    return render_template("lost/mark_customer.html", form=form, customer=customer), form_status(form)


@bp.route("/customers/")
@roles_required(*CUSTOMER_ROLES)
def customers():
    """Customers lost and not regained, in the user's scope: when and why, their last purchase
    (the last won quote), their last contact, and whether a win-back has started."""
    last_purchase = (
        select(func.max(Quote.decided_on))
        .where(Quote.customer_id == CustomerLoss.customer_id, Quote.status == "won")
        .correlate(CustomerLoss)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(CustomerLoss, last_purchase)
        .join(Customer, Customer.id == CustomerLoss.customer_id)
        .options(joinedload(CustomerLoss.customer), joinedload(CustomerLoss.owner), joinedload(CustomerLoss.reason),
                 joinedload(CustomerLoss.competitor))
        .where(CustomerLoss.archived_at.is_(None), CustomerLoss.regained_on.is_(None), Customer.stage == Stage.LOST.value,
               scope_clause(CustomerLoss, current_user))
        .order_by(CustomerLoss.lost_on.desc(), CustomerLoss.id.desc())
        .limit(500)
    ).all()
    return render_template("lost/customers.html", rows=rows, form=ReviewForm(formdata=None))


@bp.post("/customers/<int:loss_id>/win-back")
@roles_required(*CUSTOMER_ROLES)
def win_back(loss_id: int):
    """Start winning a lost customer back (挽回): a follow-up is planned for tomorrow."""
    loss = get_scoped_or_404(CustomerLoss, loss_id)
    if loss.regained_on is not None or loss.archived_at is not None:
        abort(404)
    loss.win_back_started_at = utcnow()
    loss.customer.next_follow_up_on = company_today() + timedelta(days=1)
    db.session.commit()
    flash(_("Win-back started: a follow-up with %(name)s is planned for tomorrow.", name=loss.customer.name), "success")
    return redirect(url_for("lost.customers"), 303)

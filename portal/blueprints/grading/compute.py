"""Computing the grades and the churn warnings: SQL aggregates feed the plain rules of
``portal.rules.grading``; the results are written in bulk. Used by the pages (on demand) and by the
``grade-customers`` and ``flag-churn`` commands (nightly)."""
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, case, delete, func, select, update

from portal.audit import expire_loaded, record_bulk_changes
from portal.company_settings import get_setting
from portal.database import utcnow
from portal.extensions import db
from portal.models import ChurnDismissal, ChurnFlag, Contract, ContractLine, Customer, CustomerValue, GradingRun, Stage
from portal.rules.followups import local_date
from portal.rules.grading import churn_signal, grade_customers

FEN = Decimal("0.01")
CANCELLED = "cancelled"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    return date(year, month, 28)


def revenue_rows(first: date, last: date) -> list[tuple]:
    """(customer id, revenue, gross profit, costed quantity) of contracts signed ``first``…``last``,
    cancelled and archived ones left out: one aggregate over the contract lines."""
    known = ContractLine.unit_cost.is_not(None)
    revenue = func.sum(ContractLine.amount)
    rows = db.session.execute(
        select(Contract.customer_id, revenue,
               func.coalesce(func.sum(case((known, ContractLine.amount - ContractLine.quantity * ContractLine.unit_cost), else_=0)), 0),
               func.coalesce(func.sum(case((known, ContractLine.quantity), else_=0)), 0))
        .join(ContractLine, and_(ContractLine.contract_id == Contract.id, ContractLine.archived_at.is_(None)))
        .where(Contract.archived_at.is_(None), Contract.status != CANCELLED, Contract.signed_on.between(first, last))
        .group_by(Contract.customer_id)
        .having(revenue > 0)
    ).all()
    return [(row[0], Decimal(row[1]).quantize(FEN), Decimal(row[2]).quantize(FEN), Decimal(row[3])) for row in rows]


def run_grading(today: date, user_id: int | None = None) -> GradingRun:
    """Grade every customer with contracts in the window; customers without any lose their grade.
    Only changed grades are written, each with a history entry ("grading"). The caller commits."""
    volume_share = get_setting("grading.volume_share")
    threshold = get_setting("grading.margin_threshold")
    first = months_before(today, get_setting("grading.window_months"))
    graded = grade_customers(revenue_rows(first, today), volume_share, threshold)
    now = utcnow()
    run = GradingRun(computed_at=now, window_start=first, window_end=today, volume_share=volume_share,
                     margin_threshold=threshold, customers=len(graded),
                     revenue=sum((g.revenue for g in graded), Decimal("0")), profit=sum((g.profit for g in graded), Decimal("0")),
                     computed_by_id=user_id)
    db.session.add(run)
    db.session.flush()
    new_grades = {g.customer_id: g.grade for g in graded}
    customers = {
        row.id: row for row in db.session.execute(
            select(Customer.id, Customer.name, Customer.owner_id, Customer.department_id, Customer.value_grade, Customer.version)
            .where((Customer.value_grade.is_not(None)) | (Customer.id.in_(select(Contract.customer_id).where(
                Contract.signed_on.between(first, today)))))
        )
    }
    values = [
        {"run_id": run.id, "customer_id": g.customer_id, "department_id": customers[g.customer_id].department_id,
         "owner_id": customers[g.customer_id].owner_id, "rank": g.rank, "revenue": g.revenue, "profit": g.profit,
         "costed_quantity": g.costed_quantity, "cumulative_share": g.cumulative_share, "grade": g.grade}
        for g in graded if g.customer_id in customers
    ]
    if values:
        db.session.execute(CustomerValue.__table__.insert(), values)
    changes = [(customer_id, row.value_grade, new_grades.get(customer_id)) for customer_id, row in customers.items()
               if row.value_grade != new_grades.get(customer_id)]
    if changes:
        db.session.flush()
        db.session.execute(
            update(Customer.__table__).where(Customer.__table__.c.id == bindparam("customer_id"))
            .values(value_grade=bindparam("grade"), version=Customer.__table__.c.version + 1, updated_at=now),
            [{"customer_id": customer_id, "grade": new} for customer_id, _old, new in changes],
        )
        record_bulk_changes(db.session, "customers", [
            (customer_id, customers[customer_id].name, customers[customer_id].version + 1, {"value_grade": [old, new]})
            for customer_id, old, new in changes
        ], "grading")
        expire_loaded(db.session, Customer)
    return run


def latest_run() -> GradingRun | None:
    return db.session.scalar(select(GradingRun).order_by(GradingRun.id.desc()).limit(1))


def run_churn(today: date) -> int:
    """Replace the churn warnings with today's: every signed customer checked against the three
    rules (``rules.grading.churn_signal``), dismissed ones left out until their next purchase.
    Three aggregate statements and one bulk insert; returns how many were flagged. The caller commits."""
    year_ago, two_years_ago = today - timedelta(days=365), today - timedelta(days=730)
    live = [Contract.archived_at.is_(None), Contract.status != CANCELLED]
    purchases = {
        row[0]: row for row in db.session.execute(
            select(Contract.customer_id, func.count(func.distinct(Contract.signed_on)), func.min(Contract.signed_on),
                   func.max(Contract.signed_on),
                   func.coalesce(func.sum(case((Contract.signed_on > year_ago, Contract.amount_gross), else_=0)), 0),
                   func.coalesce(func.sum(case((and_(Contract.signed_on > two_years_ago, Contract.signed_on <= year_ago),
                                                Contract.amount_gross), else_=0)), 0))
            .where(*live).group_by(Contract.customer_id)
        )
    }
    dismissed = defaultdict(list)
    for customer_id, last_purchase_on in db.session.execute(
        select(ChurnDismissal.customer_id, ChurnDismissal.last_purchase_on).where(ChurnDismissal.archived_at.is_(None))
    ):
        dismissed[customer_id].append(last_purchase_on)
    factor = get_setting("churn.interval_factor")
    quiet_days = get_setting("churn.quiet_days")
    fall = get_setting("churn.fall_percent")
    now = utcnow()
    flags = []
    for customer in db.session.execute(
        select(Customer.id, Customer.owner_id, Customer.department_id, Customer.created_at, Customer.last_follow_up_at)
        .where(Customer.stage == Stage.SIGNED.value, Customer.archived_at.is_(None))
    ):
        bought = purchases.get(customer.id)
        count, first_on, last_on, amount_last, amount_before = (bought[1], bought[2], bought[3], bought[4], bought[5]) if bought else (0, None, None, 0, 0)
        if any(_still_dismissed(checked, last_on) for checked in dismissed.get(customer.id, [])):
            continue
        signal = churn_signal(
            purchase_days=count, first_on=first_on, last_on=last_on, today=today,
            last_follow_up_on=local_date(customer.last_follow_up_at) if customer.last_follow_up_at else None,
            known_since=local_date(customer.created_at), amount_last=Decimal(amount_last), amount_before=Decimal(amount_before),
            factor=factor, quiet_days=quiet_days, fall_percent=fall,
        )
        if signal.rules:
            flags.append({
                "customer_id": customer.id, "owner_id": customer.owner_id, "department_id": customer.department_id,
                "computed_at": now, "rules": ",".join(signal.rules), "purchases": count, "last_purchase_on": last_on,
                "average_interval": signal.average_interval, "days_since_purchase": signal.days_since_purchase,
                "days_since_follow_up": signal.days_since_follow_up, "amount_last": Decimal(amount_last).quantize(FEN),
                "amount_before": Decimal(amount_before).quantize(FEN), "days_overdue": signal.days_overdue,
            })
    db.session.execute(delete(ChurnFlag))
    if flags:
        db.session.execute(ChurnFlag.__table__.insert(), flags)
    return len(flags)


def _still_dismissed(checked_last_purchase: date | None, last_on: date | None) -> bool:
    """A dismissal holds until a purchase after the one that was last when it was given."""
    if last_on is None:
        return True
    return checked_last_purchase is not None and last_on <= checked_last_purchase


def last_purchase(customer_id: int) -> date | None:
    return db.session.scalar(select(func.max(Contract.signed_on)).where(
        Contract.customer_id == customer_id, Contract.archived_at.is_(None), Contract.status != CANCELLED))


"""Recycling neglected customers into the pool, claiming and assigning them: the SQL around the
plain rules of ``portal.rules.pool``. A claim is one conditional UPDATE, so of two people claiming
the same customer at once exactly one changes the row."""
from datetime import datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, case, false, func, or_, select, update

from portal.audit import expire_loaded, record_bulk_changes
from portal.extensions import db
from portal.models import Contract, Customer, PoolEvent, PoolRule
from portal.rules.followups import local_date, local_to_utc
from portal.rules.pool import GRADE_RULES, INTENDED, INTENDED_RULE_DAYS, CustomerFacts, recycling

OPEN_CONTRACT = ("in_progress", "delivered")


def current_rules() -> dict[str, int]:
    """The recycling rules: the stored ones, the defaults for any not stored yet."""
    rules = {f"grade:{grade}": days for grade, days in GRADE_RULES.items()}
    rules[f"stage:{INTENDED}"] = INTENDED_RULE_DAYS
    for rule in db.session.scalars(select(PoolRule).where(PoolRule.archived_at.is_(None))):
        rules[rule.key] = rule.days
    return rules


def _due_condition(rules: tuple[tuple[str, int], ...]):
    """SQL for the customers whose recycling moment can be at or before a moment: the rules of
    ``portal.rules.pool.recycling`` without the contract conditions, which only ever postpone it
    (an open contract, a contract signed since the owner got it); the plan itself is still
    computed by ``recycling`` for the rows this keeps. Each rule's latest moment is a bound
    parameter (``latest_<n>``, ``_latest_moments``), so it is built once per set of rules."""
    owned_at = func.coalesce(Customer.owned_since, Customer.created_at)
    alternatives = []
    for index, (key, _days) in enumerate(rules):
        kind, _sep, value = key.partition(":")
        latest = bindparam(f"latest_{index}", type_=Customer.created_at.type)
        if kind == "grade":
            # The later of the last follow-up and the day the owner got it, at most ``latest``.
            alternatives.append(and_(Customer.intention_grade == value, owned_at <= latest,
                                     or_(Customer.last_follow_up_at.is_(None), Customer.last_follow_up_at <= latest)))
        elif kind == "stage":
            alternatives.append(and_(Customer.stage == value, owned_at <= latest))
    return and_(Customer.locked.is_(False), or_(*alternatives)) if alternatives else false()


def _latest_moments(moment: datetime, rules: dict[str, int]) -> dict:
    """The parameters of ``_due_condition``: each rule's moment ``days`` before ``moment``."""
    return {f"latest_{index}": moment - timedelta(days=days) for index, days in enumerate(rules.values())}


def owned_customers_with_plans(owner_id: int | None = None, customer_id: int | None = None, due_by: datetime | None = None):
    """(customer row, recycling plan) for every owned, unarchived customer (or one owner's, or one
    customer; with ``due_by``, only those that may be due by then — see ``_due_condition``): three
    statements whatever their number, one when there is none. The statements are built once per
    set of rules and of arguments given (My day runs them for every salesperson)."""
    rules = current_rules()
    candidates, open_contracts, last_signed = _plan_statements(tuple(rules.items()), owner_id is not None,
                                                               customer_id is not None, due_by is not None)
    parameters = {"owner_id": owner_id, "customer_id": customer_id, **(_latest_moments(due_by, rules) if due_by else {})}
    rows = db.session.execute(candidates, parameters).all()
    if not rows:
        return
    open_ids = set(db.session.scalars(open_contracts, parameters))
    signed = dict(db.session.execute(last_signed, parameters).all())
    for row in rows:
        yield row, recycling(_facts(row, row.id in open_ids, signed.get(row.id)), rules)


@lru_cache(maxsize=32)
def _plan_statements(rules: tuple[tuple[str, int], ...], by_owner: bool, by_customer: bool, by_due: bool):
    """(candidates, their open contracts, their last signing day) of ``owned_customers_with_plans``,
    the owner, the customer and the rules' moments bound when they run."""
    conditions = [Customer.archived_at.is_(None), Customer.pool_since.is_(None)]
    contract_conditions = [Contract.archived_at.is_(None)]
    if by_owner:
        conditions.append(Customer.owner_id == bindparam("owner_id", type_=Integer))
    if by_customer:
        conditions.append(Customer.id == bindparam("customer_id", type_=Integer))
    if by_due:
        conditions.append(_due_condition(rules))
    if by_owner or by_customer or by_due:
        contract_conditions.append(Contract.customer_id.in_(select(Customer.id).where(*conditions)))
    candidates = select(
        Customer.id, Customer.name, Customer.owner_id, Customer.department_id, Customer.version, Customer.stage,
        Customer.intention_grade, Customer.locked, Customer.owned_since, Customer.created_at, Customer.last_follow_up_at,
    ).where(*conditions)
    open_contracts = select(Contract.customer_id).where(*contract_conditions, Contract.status.in_(OPEN_CONTRACT)).distinct()
    last_signed = (select(Contract.customer_id, func.max(Contract.signed_on))
                   .where(*contract_conditions, Contract.status != "cancelled").group_by(Contract.customer_id))
    return candidates, open_contracts, last_signed


def _facts(customer, open_contract: bool, last_signed) -> CustomerFacts:
    """What the recycling rules test of ``customer`` (a row or a loaded customer), given whether it
    has an open contract and the last day it signed one (cancelled ones left out)."""
    owned_since = customer.owned_since or customer.created_at
    return CustomerFacts(
        intention_grade=customer.intention_grade, stage=customer.stage, owned_since=owned_since,
        last_follow_up_at=customer.last_follow_up_at, locked=customer.locked, open_contract=open_contract,
        contract_since_owned=last_signed is not None
        and local_to_utc(datetime.combine(last_signed, time.max)) >= owned_since,
    )


def customer_plan(customer: Customer):
    """The recycling plan of one loaded customer (the customer page's pool section), as
    ``owned_customers_with_plans(customer_id=…)`` gives it, in one statement over its contracts
    besides the rules; None in the pool or archived."""
    if customer.archived_at is not None or customer.pool_since is not None:
        return None
    rules = current_rules()
    open_count, last_signed = db.session.execute(
        select(func.count(case((Contract.status.in_(OPEN_CONTRACT), Contract.id))),
               func.max(case((Contract.status != "cancelled", Contract.signed_on))))
        .where(Contract.customer_id == customer.id, Contract.archived_at.is_(None))
    ).one()
    return recycling(_facts(customer, open_count > 0, last_signed), rules)


def run_recycle(now: datetime, by_user_id: int | None = None) -> int:
    """Return every customer whose recycling moment has come to its department's pool; each move is
    a pool event and a history entry naming the rule. The caller commits."""
    due = [(row, plan) for row, plan in owned_customers_with_plans(due_by=now) if plan is not None and now >= plan.due_at]
    if not due:
        return 0
    table = Customer.__table__
    db.session.flush()
    db.session.execute(
        update(table).where(table.c.id == bindparam("customer_id"), table.c.pool_since.is_(None))
        .values(pool_since=now, version=table.c.version + 1, updated_at=now),
        [{"customer_id": row.id} for row, _plan in due],
    )
    db.session.execute(PoolEvent.__table__.insert(), [
        {"customer_id": row.id, "user_id": row.owner_id, "kind": "recycle", "at": now, "rule": plan.rule, "by_user_id": by_user_id}
        for row, plan in due
    ])
    record_bulk_changes(db.session, "customers", [
        (row.id, row.name, row.version + 1, {"pool_since": [None, now.isoformat()], "rule": [None, f"{plan.rule} {plan.days}"]})
        for row, plan in due
    ], "recycle")
    expire_loaded(db.session, Customer)
    return len(due)


def take_from_pool(customer: Customer, new_owner, now: datetime, kind: str, by_user_id: int) -> bool:
    """Give a pool customer to ``new_owner`` if it is still in the pool: True for the one request
    whose UPDATE changed the row, False for any other (someone was quicker)."""
    table = Customer.__table__
    result = db.session.execute(
        update(table).where(table.c.id == customer.id, table.c.pool_since.is_not(None), table.c.archived_at.is_(None))
        .values(owner_id=new_owner.id, department_id=new_owner.department_id, pool_since=None, owned_since=now,
                locked=False, version=table.c.version + 1, updated_at=now)
    )
    if result.rowcount != 1:
        return False
    db.session.add(PoolEvent(customer_id=customer.id, user_id=new_owner.id, kind=kind, at=now, by_user_id=by_user_id))
    record_bulk_changes(db.session, "customers", [
        (customer.id, customer.name, customer.version + 1, {"owner_id": [customer.owner_id, new_owner.id], "pool_since": [str(customer.pool_since), None]})
    ], kind)
    expire_loaded(db.session, Customer)
    return True


def claims_today(user_id: int, day_start: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(PoolEvent).where(
        PoolEvent.user_id == user_id, PoolEvent.kind == "claim", PoolEvent.at >= day_start))


def owned_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Customer).where(
        Customer.owner_id == user_id, Customer.pool_since.is_(None), Customer.archived_at.is_(None)))


def recycled_from(user_id: int, customer_id: int) -> datetime | None:
    """When the pool last took this customer from ``user_id``."""
    return db.session.scalar(select(func.max(PoolEvent.at)).where(
        PoolEvent.customer_id == customer_id, PoolEvent.user_id == user_id, PoolEvent.kind == "recycle"))


def company_day_start(now: datetime) -> datetime:
    return local_to_utc(datetime.combine(local_date(now), time.min))


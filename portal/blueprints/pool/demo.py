"""Demo pool for ``flask --app portal seed-demo``: a few customers already in their department's
pool, and a few whose owners have let them go quiet, due to return within days."""
from datetime import timedelta

from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.models import Contract, Customer, PoolEvent, Stage
from portal.seed import register_demo_seeder


@register_demo_seeder("pool", after=("grading",))
def seed_pool(accounts: dict) -> None:
    now = utcnow()
    with_contracts = set(db.session.scalars(select(Contract.customer_id)))
    candidates = [c for c in db.session.scalars(select(Customer).where(Customer.stage == Stage.POTENTIAL.value).order_by(Customer.id))
                  if c.id not in with_contracts]
    for customer in candidates[:2]:  # in the pool, returned a week ago by the grade rule
        customer.pool_since = now - timedelta(days=7)
        customer.intention_grade = customer.intention_grade or "C"
        db.session.add(PoolEvent(customer_id=customer.id, user_id=customer.owner_id, kind="recycle", at=customer.pool_since,
                                 rule=f"grade:{customer.intention_grade}"))
    open_contracts = set(db.session.scalars(select(Contract.customer_id).where(Contract.status.in_(("in_progress", "delivered")))))
    quiet = [c for c in db.session.scalars(select(Customer).where(Customer.pool_since.is_(None), Customer.locked.is_(False)).order_by(Customer.id.desc()))
             if c.id not in open_contracts and c not in candidates[:2]]
    for days_left, customer in zip((1, 2, 3), quiet):  # grade D: 10 days without a follow-up
        customer.intention_grade = "D"
        customer.owned_since = now - timedelta(days=400)
        customer.last_follow_up_at = now - timedelta(days=10 - days_left)

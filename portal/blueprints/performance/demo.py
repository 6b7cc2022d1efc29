"""Demo targets for ``flask --app portal seed-demo``: every salesperson has a monthly target for the
13 months ending with this one and the rest of this year, so attainment and the trends have something to show."""
import random
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Role, SalesTarget, User
from portal.rules.followups import company_today
from portal.seed import register_demo_seeder


@register_demo_seeder("performance", after=("contracts",))
def seed_targets(accounts: dict) -> None:
    rng = random.Random(2028)
    today = company_today()
    months = []
    year, month = today.year - 1, today.month - 1
    for _ in range(13 + (12 - today.month) + 1):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        months.append((year, month))
    # Heads own no demo customers, so only salespeople have targets; a salesperson's monthly deals
    # are around ¥40,000, so some months are met and some are not.
    people = db.session.scalars(select(User).where(User.role == Role.SALES.value, User.department_id.is_not(None))
                                .order_by(User.id)).all()
    for person in people:
        base = Decimal(rng.choice([30000, 40000, 45000, 50000]))
        for year, month in months:
            db.session.add(SalesTarget(user_id=person.id, year=year, month=month, amount=base))

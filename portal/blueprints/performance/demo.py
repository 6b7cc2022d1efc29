"""Demo targets for ``flask --app portal seed-demo``: every salesperson has a monthly target for the
last 12 months and the rest of this year, so attainment and the trends have something to show."""
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
    year, month = today.year - 1, today.month
    for _ in range(12 + (12 - today.month) + 1):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        months.append((year, month))
    people = db.session.scalars(select(User).where(User.role.in_([Role.SALES.value, Role.HEAD.value]),
                                                   User.department_id.is_not(None))).all()
    for person in people:
        base = Decimal(rng.choice([8000, 10000, 12000, 15000]))
        for year, month in months:
            db.session.add(SalesTarget(user_id=person.id, year=year, month=month, amount=base))

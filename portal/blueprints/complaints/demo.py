"""Demo complaints for ``flask --app portal seed-demo``: closed ones with satisfaction, some being
handled, and some past their response deadline."""
import random
from datetime import timedelta

from sqlalchemy import select

from portal.database import utcnow
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import COMPLAINT_CATEGORY, Complaint, ComplaintStep, Customer
from portal.rules.complaints import response_deadline
from portal.seed import register_demo_seeder

HOURS = {"urgent": 4, "serious": 24, "normal": 24}
TEXTS = ["到货的苹果有磕碰，要求换货", "配送比约定晚了两个小时", "司机态度不好", "价格比上个月高，希望给个说法", "建议增加早上 6 点前的配送"]


@register_demo_seeder("complaints", after=("contracts",))
def seed_complaints(accounts: dict) -> None:
    rng = random.Random(2029)
    ensure_default_entries(COMPLAINT_CATEGORY)
    db.session.flush()
    categories = lookup_entries(COMPLAINT_CATEGORY)
    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    now = utcnow()
    for number in range(24):
        customer = rng.choice(customers)
        severity = rng.choice(["normal", "normal", "serious", "urgent"])
        received_at = now - timedelta(hours=rng.randint(1, 24 * 120))
        if number < 3:  # waiting past the deadline: on My day and flagged in the list
            received_at = now - timedelta(hours=HOURS[severity] + 2 + number)
        complaint = Complaint(
            customer_id=customer.id, kind="suggestion" if number % 6 == 5 else "complaint", channel=rng.choice(["phone", "wechat", "visit"]),
            category_id=categories[number % len(categories)].id, severity=severity, content=TEXTS[number % len(TEXTS)],
            received_at=received_at, respond_by=response_deadline(received_at, severity, HOURS),
            handler_id=customer.owner_id, department_id=customer.department_id, status="new",
        )
        db.session.add(complaint)
        db.session.flush()
        age_hours = (now - received_at).total_seconds() / 3600
        if number < 3 or (age_hours < 30 and number % 3 == 0):
            continue  # new; past its deadline if older than its hours
        answered = received_at + timedelta(hours=rng.choice([1, 2, 6, 20, 30]))
        complaint.first_response_at, complaint.status = answered, "in_progress"
        db.session.add(ComplaintStep(complaint_id=complaint.id, status="in_progress", note="已联系客户，正在核实", at=answered,
                                     user_id=customer.owner_id, position=1))
        if age_hours > 72:
            complaint.status, complaint.resolution = "closed", "已换货并致歉"
            complaint.resolved_at = answered + timedelta(hours=24)
            complaint.closed_at = answered + timedelta(hours=48)
            complaint.satisfaction = rng.choice([3, 4, 4, 5, 5])
            db.session.add(ComplaintStep(complaint_id=complaint.id, status="resolved", note="已换货并致歉", at=complaint.resolved_at,
                                         user_id=customer.owner_id, position=2))
            db.session.add(ComplaintStep(complaint_id=complaint.id, status="closed", note="", at=complaint.closed_at,
                                         user_id=customer.owner_id, position=3))

"""Generated complaints for the benchmarks: spread over the last year on random customers, handled
by their owners; most closed with a satisfaction, some in progress, a few past their deadline."""
from datetime import timedelta

from portal.models import COMPLAINT_CATEGORY, Complaint, LookupValue
from portal.rules.complaints import response_deadline

CATEGORIES = ["产品质量", "交期", "服务态度", "价格", "其他"]
HOURS = {"urgent": 4, "serious": 24, "normal": 24}
SEVERITIES = ["normal", "normal", "normal", "serious", "urgent"]


def build_complaints(builder, count: int) -> None:
    rng, now = builder.rng, builder.now
    existing = builder.session.execute(LookupValue.__table__.select().with_only_columns(LookupValue.__table__.c.id)).all()
    lookup_id = max((row[0] for row in existing), default=0)
    stamp = builder._stamp(now - timedelta(days=400))
    category_ids = []
    rows = []
    for position, name in enumerate(CATEGORIES):
        lookup_id += 1
        rows.append({"id": lookup_id, "kind": COMPLAINT_CATEGORY, "name": name, "position": position, **stamp})
        category_ids.append(lookup_id)
    builder._insert(LookupValue.__table__, rows)
    department_of = dict(builder.sales)
    complaints = []
    for complaint_id in range(1, count + 1):
        customer_id = rng.randrange(1, builder.shape.customers + 1)
        owner_id = builder.owner[customer_id]
        severity = rng.choice(SEVERITIES)
        received_at = now - timedelta(minutes=rng.randrange(30, 365 * 24 * 60))
        respond_by = response_deadline(received_at, severity, HOURS)
        age_hours = (now - received_at).total_seconds() / 3600
        status, first_response, satisfaction, closed_at = "new", None, None, None
        roll = rng.random()
        if roll > 0.03 or age_hours < HOURS[severity]:
            first_response = received_at + timedelta(minutes=rng.randrange(10, 30 * 60))
            if first_response > now:
                first_response = None
            elif age_hours > 96:
                status, satisfaction, closed_at = "closed", rng.choice((3, 4, 4, 5, 5)), first_response + timedelta(days=2)
            else:
                status = "in_progress"
        complaints.append({
            "id": complaint_id, "customer_id": customer_id, "contract_id": None, "kind": "complaint", "channel": "phone",
            "category_id": rng.choice(category_ids), "severity": severity, "content": "到货有破损，要求处理",
            "received_at": received_at, "respond_by": respond_by, "first_response_at": first_response, "status": status,
            "handler_id": owner_id, "department_id": department_of.get(owner_id, 1), "resolution": "已处理" if closed_at else "",
            "resolved_at": closed_at, "closed_at": closed_at, "satisfaction": satisfaction, "recorded_by_id": owner_id,
            **builder._stamp(received_at),
        })
    builder._insert(Complaint.__table__, complaints)

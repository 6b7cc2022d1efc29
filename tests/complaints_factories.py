"""Factories for complaint tests and the access matrix."""
from datetime import timedelta

from portal.database import utcnow
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import COMPLAINT_CATEGORY, Complaint
from portal.rules.complaints import response_deadline

HOURS = {"urgent": 4, "serious": 24, "normal": 24}


def category_ids() -> dict:
    ensure_default_entries(COMPLAINT_CATEGORY)
    db.session.commit()
    return {entry.name: entry.id for entry in lookup_entries(COMPLAINT_CATEGORY)}


def make_complaint(customer, severity="normal", received_at=None, category="产品质量", **fields) -> Complaint:
    received_at = received_at or utcnow() - timedelta(hours=1)
    complaint = Complaint(
        customer_id=customer.id, kind=fields.pop("kind", "complaint"), channel="phone", category_id=category_ids()[category],
        severity=severity, content=fields.pop("content", "苹果有磕碰"), received_at=received_at,
        respond_by=response_deadline(received_at, severity, HOURS), handler_id=customer.owner_id,
        department_id=customer.department_id, status=fields.pop("status", "new"), **fields,
    )
    db.session.add(complaint)
    db.session.commit()
    return complaint

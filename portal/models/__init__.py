"""All models, imported here so Alembic and the app see every table."""
from portal.models.accounts import Department, Language, Role, User
from portal.models.audit import AuditEntry
from portal.models.settings import CompanySetting
from portal.models.customers import (
    FOLLOW_UP_KIND_LABELS,
    STAGE_LABELS,
    Contact,
    Customer,
    FollowUp,
    FollowUpKind,
    GradePolicy,
    LookupKind,
    LookupValue,
    Stage,
)

__all__ = [
    "AuditEntry",
    "CompanySetting",
    "Contact",
    "Customer",
    "Department",
    "FOLLOW_UP_KIND_LABELS",
    "FollowUp",
    "FollowUpKind",
    "GradePolicy",
    "Language",
    "LookupKind",
    "LookupValue",
    "Role",
    "STAGE_LABELS",
    "Stage",
    "User",
]

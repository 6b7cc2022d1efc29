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
from portal.models.quotes import (
    LOST_REASON,
    PRODUCT_CATEGORY,
    QUOTE_STATUS_LABELS,
    Competitor,
    CustomerLoss,
    LostOrder,
    Product,
    Quote,
    QuoteCounter,
    QuoteLine,
    QuoteStatus,
)

__all__ = [
    "Competitor",
    "CustomerLoss",
    "LOST_REASON",
    "LostOrder",
    "PRODUCT_CATEGORY",
    "Product",
    "QUOTE_STATUS_LABELS",
    "Quote",
    "QuoteCounter",
    "QuoteLine",
    "QuoteStatus",
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

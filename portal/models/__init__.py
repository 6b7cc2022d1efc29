"""All models, imported here so Alembic and the app see every table."""
from portal.models.accounts import Department, Language, Role, User
from portal.models.audit import AuditEntry

__all__ = ["AuditEntry", "Department", "Language", "Role", "User"]

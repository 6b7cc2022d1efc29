"""Translated labels for values stored as codes."""
from flask_babel import lazy_gettext as _l

from portal.models.accounts import Role

ROLE_LABELS = {
    Role.SALES.value: _l("Salesperson"),
    Role.HEAD.value: _l("Department head"),
    Role.HR.value: _l("HR"),
    Role.ADMIN.value: _l("Administrator"),
}

AUDIT_ACTIONS = {
    "create": _l("created"),
    "update": _l("changed"),
    "archive": _l("archived"),
    "restore": _l("restored"),
    "merge": _l("merged"),
    "handover": _l("handed over"),
}


def audit_action_label(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


def record_type_label(model) -> str:
    return str(getattr(model, "RECORD_LABEL", model.__tablename__))


def translated(labels: dict) -> dict:
    """``labels`` (code → lazy label) in the user's language, looked up once: a list renders a
    label per row, and each lazy label would look the translation up again."""
    return {code: str(label) for code, label in labels.items()}

"""Audit entries in words a user reads: field labels instead of column names, names instead of
ids, labels instead of codes, company-time dates."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.labels import ROLE_LABELS
from portal.models import (
    FOLLOW_UP_KIND_LABELS,
    STAGE_LABELS,
    Contact,
    Customer,
    Department,
    LookupValue,
    User,
)

FIELD_LABELS = {
    "name": _l("Name"),
    "username": _l("Username"),
    "display_name": _l("Display name"),
    "role": _l("Role"),
    "department_id": _l("Department"),
    "active": _l("Active"),
    "language": _l("Language"),
    "customer_type_id": _l("Type / industry"),
    "source_id": _l("Source"),
    "region": _l("Region"),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "email": _l("E-mail"),
    "wechat": _l("WeChat"),
    "stage": _l("Stage"),
    "intention_grade": _l("Intention grade"),
    "value_grade": _l("Value grade"),
    "owner_id": _l("Owner"),
    "notes": _l("Notes"),
    "next_follow_up_on": _l("Next follow-up"),
    "last_follow_up_at": _l("Last follow-up"),
    "customer_id": _l("Customer"),
    "title": _l("Title"),
    "birthday": _l("Birthday"),
    "birthday_md": None,  # derived from the birthday
    "user_id": _l("Salesperson"),
    "contact_id": _l("Contact person"),
    "kind": _l("Kind"),
    "happened_at": _l("Date and time"),
    "summary": _l("Summary"),
    "outcome": _l("Outcome"),
    "next_step": _l("Next step"),
    "grade": _l("Grade"),
    "description": _l("Description"),
    "interval_days": _l("Follow up every (days)"),
    "preferred_mode": _l("Preferred mode"),
    "position": _l("Order"),
    "archived_at": _l("Archived"),
    "merged_from": _l("Merged from"),
}

# Foreign-key columns shown by the name of the row they point to.
REFERENCES = {
    "department_id": (Department, Department.name),
    "owner_id": (User, User.display_name),
    "user_id": (User, User.display_name),
    "customer_type_id": (LookupValue, LookupValue.name),
    "source_id": (LookupValue, LookupValue.name),
    "customer_id": (Customer, Customer.name),
    "contact_id": (Contact, Contact.name),
}
CODE_LABELS = {"stage": STAGE_LABELS, "kind": FOLLOW_UP_KIND_LABELS, "preferred_mode": FOLLOW_UP_KIND_LABELS}


@dataclass
class ReadableChange:
    label: str
    old: str
    new: str


def _referenced_names(entries) -> dict[tuple[str, int], str]:
    """One query per referenced table for all the ids the entries mention."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        for field, values in entry.changes.items():
            if field in REFERENCES:
                wanted.setdefault(field, set()).update(v for v in values if isinstance(v, int))
    names = {}
    by_model: dict[type, set[int]] = {}
    for field, ids in wanted.items():
        by_model.setdefault(REFERENCES[field][0], set()).update(ids)
    for model, ids in by_model.items():
        label_column = next(column for m, column in REFERENCES.values() if m is model)
        for row_id, name in db.session.execute(select(model.id, label_column).where(model.id.in_(ids))):
            names[(model.__tablename__, row_id)] = name
    return names


def _format(field: str, value, names) -> str:
    if value is None or value == "":
        return "—"
    if field in REFERENCES and isinstance(value, int):
        return names.get((REFERENCES[field][0].__tablename__, value), f"#{value}")
    if field in CODE_LABELS:
        return str(CODE_LABELS[field].get(value, value))
    if field == "role":
        return str(ROLE_LABELS.get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and len(value) > 19 and value[10] == "T":
        try:
            return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
        except ValueError:
            return value
    return str(value)


def readable_history(entries) -> list[tuple[object, list[ReadableChange]]]:
    """Each entry with its changes as (label, old, new) strings, fields without a label left out."""
    names = _referenced_names(entries)
    result = []
    for entry in entries:
        changes = []
        for field, (old, new) in entry.changes.items():
            label = FIELD_LABELS.get(field, field)
            if label is None:
                continue
            changes.append(ReadableChange(str(label), _format(field, old, names), _format(field, new, names)))
        result.append((entry, changes))
    return result

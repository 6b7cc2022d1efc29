"""Which admin-managed lists of values exist (基础资料设置), registered by the areas that use them.

A list is identified by its ``kind`` code (stored in ``LookupValue.kind``); an area registers its
lists with their label and default entries, and the lists page and ``seed_default_lookups`` read
this registry, so adding a list needs no change to the lists blueprint.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models.customers import LookupKind, LookupValue


@dataclass(frozen=True)
class LookupList:
    kind: str
    label: object
    # Entries created on first use (set-up, seed) when the list is empty.
    defaults: tuple = ()


LOOKUP_LISTS: dict[str, LookupList] = {}


def register_lookup_list(kind: str, label, defaults=()) -> LookupList:
    """Declare a list of values; registering the same kind again keeps the first declaration."""
    return LOOKUP_LISTS.setdefault(kind, LookupList(kind, label, tuple(defaults)))


def lookup_entries(kind: str, keep_id: int | None = None) -> list[LookupValue]:
    """The live entries of a list in order, plus the archived one a record still points at."""
    condition = LookupValue.archived_at.is_(None)
    if keep_id:
        condition = condition | (LookupValue.id == keep_id)
    stmt = select(LookupValue).where(LookupValue.kind == kind, condition)
    return list(db.session.scalars(stmt.order_by(LookupValue.position, LookupValue.id)))


def ensure_default_entries(kind: str) -> bool:
    """Create a registered list's default entries if it has none yet; True when any were added."""
    lookup_list = LOOKUP_LISTS[kind]
    if not lookup_list.defaults:
        return False
    exists = db.session.scalar(select(LookupValue.id).where(LookupValue.kind == kind).limit(1))
    if exists is not None:
        return False
    for position, name in enumerate(lookup_list.defaults):
        db.session.add(LookupValue(kind=kind, name=str(name), position=position))
    return True


register_lookup_list(LookupKind.CUSTOMER_TYPE.value, _l("Customer types and industries"))
register_lookup_list(LookupKind.SOURCE.value, _l("Customer sources"))

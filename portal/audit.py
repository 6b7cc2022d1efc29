"""Writes the audit trail from the ORM session, so no area can forget to.

Every flush that creates or changes a model marked with ``AuditedMixin`` adds one
``AuditEntry`` per record with the changed fields as ``{field: [old, new]}``. An area that does a
named operation (merge, handover) sets ``audit_action(session, "handover")`` before flushing.
"""
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, joinedload

from portal.database import utcnow
from portal.extensions import db
from portal.models.accounts import User
from portal.models.audit import AuditEntry
from portal.models.base import AuditedMixin

ACTION_KEY = "audit_action"
ACTOR_KEY = "audit_actor_id"


def json_value(value):
    """A JSON-safe form of a column value for the trail."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return value
    return str(value)


def _actor_id(session: Session) -> int | None:
    if ACTOR_KEY in session.info:
        return session.info[ACTOR_KEY]
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _audited_columns(obj):
    exclude = obj.__audit_exclude__
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key not in exclude:
            yield attr.key


def _changes_of(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for key in _audited_columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changes[key] = [json_value(old), json_value(new)]
    return changes


def _action_for_update(changes: dict, default: str) -> str:
    archived = changes.get("archived_at")
    if archived and archived[0] is None:
        return "archive"
    if archived and archived[1] is None:
        return "restore"
    return default


def _keep_old_value(target, value, oldvalue, initiator):
    return value


@event.listens_for(AuditedMixin, "mapper_configured", propagate=True)
def _load_old_values_on_set(mapper, cls):
    """Make assigning a column load its stored value first, so the trail shows old → new even
    when the record was expired by a commit before the change."""
    for attr in mapper.column_attrs:
        if attr.key not in cls.__audit_exclude__:
            event.listen(getattr(cls, attr.key), "set", _keep_old_value, active_history=True, retval=True)


@event.listens_for(Session, "after_flush")
def _write_audit_entries(session: Session, _flush_context):
    rows = []
    now = utcnow()
    actor = _actor_id(session)
    named_action = session.info.get(ACTION_KEY)
    for obj in session.new:
        if not getattr(obj, "__audited__", False):
            continue
        changes = {
            key: [None, json_value(getattr(obj, key))]
            for key in _audited_columns(obj)
            if getattr(obj, key) not in (None, "")
        }
        rows.append(_row(obj, "create", changes, actor, now))
    for obj in session.dirty:
        if not getattr(obj, "__audited__", False) or not session.is_modified(obj):
            continue
        changes = _changes_of(obj)
        if changes:
            rows.append(_row(obj, _action_for_update(changes, named_action or "update"), changes, actor, now))
    if rows:
        session.connection().execute(AuditEntry.__table__.insert(), rows)


def _row(obj, action, changes, actor, now) -> dict:
    return {
        "created_at": now,
        "user_id": actor,
        "action": action,
        "record_type": obj.__tablename__,
        "record_id": obj.id,
        "record_label": obj.audit_label()[:200],
        "record_version": getattr(obj, "version", None),
        "changes": changes,
    }


def record_event(session: Session, record, action: str, changes: dict) -> None:
    """Write an entry for something that is not a change of the record's own columns
    (the customer another one was merged into, say), by the current user."""
    session.add(
        AuditEntry(
            user_id=_actor_id(session),
            action=action,
            record_type=record.__tablename__,
            record_id=record.id,
            record_label=record.audit_label()[:200],
            record_version=getattr(record, "version", None),
            changes=changes,
        )
    )


@contextmanager
def audit_action(session: Session, action: str):
    """Label the updates flushed inside the block with a named action (merge, handover…)."""
    previous = session.info.get(ACTION_KEY)
    session.info[ACTION_KEY] = action
    try:
        yield
        session.flush()
    finally:
        if previous is None:
            session.info.pop(ACTION_KEY, None)
        else:
            session.info[ACTION_KEY] = previous


@contextmanager
def acting_as(session: Session, user_id: int | None):
    """Attribute changes made outside a request (commands, imports) to a user."""
    session.info[ACTOR_KEY] = user_id
    try:
        yield
    finally:
        session.info.pop(ACTOR_KEY, None)


def history_of(record, limit: int = 100) -> list[AuditEntry]:
    """A record's audit entries, newest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.record_type == record.__tablename__, AuditEntry.record_id == record.id)
        .options(joinedload(AuditEntry.user).load_only(User.display_name))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def changes_since(record, version: int) -> list[AuditEntry]:
    """Entries written after the record had ``version``: what a stale form did not see."""
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.record_type == record.__tablename__,
            AuditEntry.record_id == record.id,
            AuditEntry.record_version > version,
        )
        .order_by(AuditEntry.id)
    )
    return list(db.session.scalars(stmt))


def record_bulk_changes(session: Session, table_name: str, entries, action: str) -> None:
    """Entries for changes written in bulk (a nightly recomputation over many records), in one
    statement: ``entries`` are (record id, label, version after, {column: [old, new]})."""
    now = utcnow()
    actor = _actor_id(session)
    rows = [
        {"created_at": now, "user_id": actor, "action": action, "record_type": table_name, "record_id": record_id,
         "record_label": label[:200], "record_version": version, "changes": changes}
        for record_id, label, version, changes in entries
    ]
    if rows:
        session.connection().execute(AuditEntry.__table__.insert(), rows)


def expire_loaded(session: Session, model) -> None:
    """After a bulk UPDATE of ``model``'s table (version raised outside the ORM), reload the rows the
    session holds, so a later ORM change to them does not fail its version check."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model):
            session.expire(obj)

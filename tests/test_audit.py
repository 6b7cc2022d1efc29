"""The audit trail written from the ORM session."""
from decimal import Decimal

from sqlalchemy import select

from portal.audit import acting_as, audit_action, history_of, json_value
from portal.database import utcnow
from portal.extensions import db
from portal.models import AuditEntry, Department, Role


def _entries(record):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == record.__tablename__, AuditEntry.record_id == record.id)
        .order_by(AuditEntry.id)
    ).all()


def test_create_update_archive_restore_each_write_one_entry(make_user):
    actor = make_user(Role.ADMIN)
    with acting_as(db.session, actor.id):
        department = Department(name="水果部")
        db.session.add(department)
        db.session.commit()
        department.name = "鲜果部"
        db.session.commit()
        department.archived_at = utcnow()
        db.session.commit()
        department.archived_at = None
        db.session.commit()
    entries = _entries(department)
    assert [entry.action for entry in entries] == ["create", "update", "archive", "restore"]
    assert entries[0].changes == {"name": [None, "水果部"]}
    assert entries[1].changes == {"name": ["水果部", "鲜果部"]}
    assert all(entry.user_id == actor.id for entry in entries)
    assert [entry.record_version for entry in entries] == [1, 2, 3, 4]


def test_saving_without_a_change_writes_nothing(make_department):
    department = make_department("水果部")
    department.name = "水果部"
    db.session.commit()
    assert len(_entries(department)) == 1


def test_named_action_labels_the_updates(make_department):
    department = make_department("水果部")
    with audit_action(db.session, "merge"):
        department.name = "合并后"
    db.session.commit()
    assert _entries(department)[-1].action == "merge"
    department.name = "再改"
    db.session.commit()
    assert _entries(department)[-1].action == "update"


def test_history_is_newest_first(make_department):
    department = make_department("一")
    for name in ("二", "三"):
        department.name = name
        db.session.commit()
    assert [entry.changes["name"][1] for entry in history_of(department)] == ["三", "二", "一"]


def test_secret_columns_never_reach_the_trail(make_user):
    user = make_user(Role.SALES)
    user.set_password("another-password")
    db.session.commit()
    for entry in _entries(user):
        assert "password_hash" not in entry.changes and "session_token" not in entry.changes


def test_json_value_keeps_money_exact():
    assert json_value(Decimal("1234.50")) == "1234.50"

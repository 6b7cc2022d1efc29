"""Recording reads in the access log (访问日志) and pruning it; the list and the alerts are the
access_log area's.

``record_access(kind, ...)`` adds one row for the signed-in user — who, when (the company's day),
from which address, what — and commits it at once, in one INSERT, so the page it is called from
costs one round trip more. Exports are recorded by ``portal.exporting`` itself; customer pages by
the customer area.
"""
from datetime import timedelta

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, insert

from portal.company_settings import SettingDefinition, get_setting, register_setting
from portal.database import utcnow
from portal.extensions import db
from portal.models.access_log import AccessLogEntry
from portal.rules.followups import company_today

ACCESS_LOG = _l("Access log and exports")
KEEP_DAYS = register_setting(SettingDefinition(
    "access_log.keep_days", _l("Days the access log is kept"), kind="int", default=365, minimum=30, maximum=3650,
    group=ACCESS_LOG,
))
EXPORT_ROWS_ALERT = register_setting(SettingDefinition(
    "access_log.export_rows_alert", _l("Alert when a person exports more rows in a day than"), kind="int", default=0,
    minimum=0, maximum=10_000_000, group=ACCESS_LOG,
    hint=_l("0: three times the person's own daily median of the last 30 days, at least 100."),
))
PAGE_VIEWS_ALERT = register_setting(SettingDefinition(
    "access_log.page_views_alert", _l("Alert when a person opens more customer pages in a day than"), kind="int",
    default=0, minimum=0, maximum=1_000_000, group=ACCESS_LOG,
    hint=_l("0: three times the person's own daily median of the last 30 days, at least 100."),
))


def _address() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def record_access(kind: str, *, target: str = "", record_id: int | None = None, filters: str = "",
                  row_count: int | None = None, user=None) -> None:
    """Add one row to the access log for ``user`` (the signed-in user) and commit it."""
    user = user or current_user
    db.session.execute(
        insert(AccessLogEntry).values(
            created_at=utcnow(), day=company_today(), user_id=user.id, department_id=user.department_id,
            kind=kind, target=target[:200], record_id=record_id, filters=filters[:500], row_count=row_count,
            address=_address(),
        )
    )
    db.session.commit()


def prune_access_log(days: int | None = None) -> int:
    """Delete the rows older than ``days`` (the setting's days by default); the number deleted."""
    days = days or get_setting(KEEP_DAYS.key)
    cutoff = company_today() - timedelta(days=days)
    result = db.session.execute(delete(AccessLogEntry).where(AccessLogEntry.day < cutoff))
    db.session.commit()
    return result.rowcount

"""The one access-control module every blueprint uses.

Three layers, checked in this order:
1. login — ``login_required`` (an htmx request gets ``HX-Redirect`` to the login page);
2. role — ``roles_required(...)`` answers 403 for an action the role may not take;
3. record scope — ``scope_clause`` filters list queries and ``get_scoped_or_404`` loads one record,
   answering 404 for a record outside the user's scope so its existence is not revealed.

Scopes (``Area``):
- ``CUSTOMER_DATA`` (customers, contacts, follow-ups, quotes, contracts…): sales see their own
  records, heads their department's, HR nothing, admin everything.
- ``PERFORMANCE`` (targets, performance sheets): as above, but HR sees every department.
"""
from enum import StrEnum
from functools import lru_cache, wraps
from types import SimpleNamespace

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Integer, bindparam, false, select, true

from portal.extensions import db
from portal.models.accounts import Role

__all__ = [
    "Area",
    "Role",
    "can_see_area",
    "get_scoped_or_404",
    "login_required",
    "roles_required",
    "scope_clause",
]

ALL_ROLES = tuple(Role)


class Area(StrEnum):
    CUSTOMER_DATA = "customer_data"
    PERFORMANCE = "performance"
    ADMINISTRATION = "administration"


# Which roles may open an area at all; ``scope_clause`` then narrows the rows.
AREA_ROLES = {
    Area.CUSTOMER_DATA: {Role.SALES, Role.HEAD, Role.ADMIN},
    Area.PERFORMANCE: {Role.SALES, Role.HEAD, Role.HR, Role.ADMIN},
    Area.ADMINISTRATION: {Role.ADMIN},
}


def roles_required(*roles: str):
    """Require login and one of ``roles``; any other role gets 403."""
    allowed = {Role(role) for role in roles}

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_see_area(user, area: Area) -> bool:
    return user.is_authenticated and user.role in AREA_ROLES[area]


def scope_clause(model, user, area: Area = Area.CUSTOMER_DATA):
    """A WHERE clause limiting ``model`` to the rows ``user`` may see.

    ``model`` names its owner and department columns through ``scope_owner_column()`` and
    ``scope_department_column()`` classmethods, or has ``owner_id``/``department_id`` columns.
    """
    role = Role(user.role)
    if role is Role.ADMIN:
        return true()
    if role is Role.HR:
        return true() if area is Area.PERFORMANCE else false()
    if role is Role.HEAD:
        if user.department_id is None:
            return false()
        return _department_column(model) == user.department_id
    if hasattr(model, "scope_sales_clause"):
        return model.scope_sales_clause(user)
    return _owner_column(model) == user.id


def _owner_column(model):
    if hasattr(model, "scope_owner_column"):
        return model.scope_owner_column()
    return model.owner_id


def _department_column(model):
    if hasattr(model, "scope_department_column"):
        return model.scope_department_column()
    return model.department_id


def someone(role) -> SimpleNamespace:
    """A stand-in user of ``role`` whose id and department are bound parameters (``person_id``,
    ``department_id``): ``scope_clause(model, someone(role))`` is a statement's scope built once
    for everyone of that role, given the person when it runs (``person_parameters``)."""
    return SimpleNamespace(role=Role(role).value, id=bindparam("person_id", type_=Integer),
                           department_id=bindparam("department_id", type_=Integer))


def person_parameters(user) -> dict:
    """The bound parameters of ``someone``'s statements for ``user``."""
    return {"person_id": user.id, "department_id": user.department_id}


@lru_cache(maxsize=256)
def _one_scoped(model, role: str, area: Area):
    # Built once per model, role and area and reused: every page that opens a record runs it, and
    # building a statement and its cache key cost more than SQLite's lookup by id.
    return select(model).where(model.id == bindparam("record_id"), scope_clause(model, someone(role), area))


def get_scoped_or_404(model, record_id, user=None, area: Area = Area.CUSTOMER_DATA, *, options=()):
    """Load one record the user may see, else 404 (never 403: existence stays hidden)."""
    user = user or current_user
    stmt = _one_scoped(model, Role(user.role).value, area)
    if options:
        stmt = stmt.options(*options)
    record = db.session.scalar(stmt, {"record_id": record_id, **person_parameters(user)})
    if record is None:
        abort(404)
    return record

"""The navigation bar: only what the user's role may open."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset


ALL = frozenset(Role)
NAV_ITEMS: list[NavItem] = [
    NavItem("home.index", _l("My day"), ALL),
    NavItem("admin.users", _l("Users"), frozenset({Role.ADMIN})),
    NavItem("admin.departments", _l("Departments"), frozenset({Role.ADMIN})),
    NavItem("admin.archived", _l("Archive"), frozenset({Role.ADMIN})),
]


def register_nav_item(item: NavItem, before: str | None = None) -> None:
    """Let an area add its entry; ``before`` places it ahead of an existing endpoint."""
    if any(existing.endpoint == item.endpoint for existing in NAV_ITEMS):
        return
    if before:
        for index, existing in enumerate(NAV_ITEMS):
            if existing.endpoint == before:
                NAV_ITEMS.insert(index, item)
                return
    NAV_ITEMS.append(item)


def navigation_for(user) -> list[NavItem]:
    if not user or not user.is_authenticated:
        return []
    return [item for item in NAV_ITEMS if user.role in item.roles]

"""The navigation bar, by task: a few groups (Customers, Sales, Analysis, Administration) each
opening a menu of the pages of that task, showing only what the user's role may open.

A group with a single visible page shows as a plain link; a group with none is left out. Areas add
their pages with ``register_nav_item``, naming the group.
"""
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l

from portal.models import Role

# The groups, in the order of the bar. ``None`` is a page standing alone (My day).
CUSTOMERS, SALES, ANALYSIS, ADMINISTRATION = "customers", "sales", "analysis", "administration"
GROUPS = {
    CUSTOMERS: _l("Customers"),
    SALES: _l("Sales"),
    ANALYSIS: _l("Analysis"),
    ADMINISTRATION: _l("Administration"),
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset
    group: str | None = None


@dataclass
class NavEntry:
    """One entry of the bar: a group's menu (``items``) or a plain link (one item, no ``label``)."""

    key: str
    label: object
    items: list[NavItem] = field(default_factory=list)
    current: bool = False

    @property
    def is_menu(self) -> bool:
        return len(self.items) > 1


ALL = frozenset(Role)
NAV_ITEMS: list[NavItem] = [
    NavItem("home.index", _l("My day"), ALL),
    NavItem("admin.users", _l("Users"), frozenset({Role.ADMIN}), ADMINISTRATION),
    NavItem("admin.departments", _l("Departments"), frozenset({Role.ADMIN}), ADMINISTRATION),
    NavItem("admin.archived", _l("Archive"), frozenset({Role.ADMIN}), ADMINISTRATION),
]


def register_nav_item(item: NavItem, group: str | None = None, before: str | None = None) -> None:
    """Let an area add a page to ``group`` (one of ``GROUPS``); ``before`` places it ahead of an
    existing endpoint, which orders it within its group."""
    if group is not None:
        if group not in GROUPS:
            raise ValueError(f"unknown navigation group {group!r}")
        item = replace(item, group=group)
    if any(existing.endpoint == item.endpoint for existing in NAV_ITEMS):
        return
    if before:
        for index, existing in enumerate(NAV_ITEMS):
            if existing.endpoint == before:
                NAV_ITEMS.insert(index, item)
                return
    NAV_ITEMS.append(item)


# The pages of each group in the order people look for them. Areas register their pages when their
# package is imported, and that order changes with whoever imports first, so the order is kept
# here; a page not named keeps its place after these, in the order registered.
PAGE_ORDER = (
    "home.index",
    "customers.index", "pool.index", "lost.customers", "complaints.index",
    "quotes.index", "contracts.index", "contracts.payments", "contracts.deliveries", "quotes.products",
    "lost.analysis", "performance.index", "grading.index", "grading.churn",
    "admin.users", "admin.departments", "lists.index", "settings.company", "settings.grades",
    "quotes.competitors", "admin.archived", "access_log.index",
)


def _bar_position(indexed: tuple[int, NavItem]) -> tuple[int, int]:
    index, item = indexed
    if item.endpoint in PAGE_ORDER:
        return (PAGE_ORDER.index(item.endpoint), index)
    return (len(PAGE_ORDER), index)


def navigation_for(user) -> list[NavItem]:
    """Every page the user's role may open, in the bar's order."""
    if not user or not user.is_authenticated:
        return []
    ordered = [item for _index, item in sorted(enumerate(NAV_ITEMS), key=_bar_position)]
    return [item for item in ordered if user.role in item.roles]


def _current_item(items: list[NavItem], endpoint: str | None) -> NavItem | None:
    """The page ``endpoint`` is (exact match), else the first page of the same blueprint (a
    contract's page belongs where the contract list is)."""
    if not endpoint:
        return None
    for item in items:
        if item.endpoint == endpoint:
            return item
    blueprint = endpoint.partition(".")[0]
    return next((item for item in items if item.endpoint.partition(".")[0] == blueprint), None)


def navigation_menu(user, endpoint: str | None = None) -> list[NavEntry]:
    """The bar for ``user``: standalone pages first in their place, then the groups in ``GROUPS``
    order; a group with one visible page becomes a plain link, an empty group is left out. The
    entry holding the page of ``endpoint`` is ``current``."""
    items = navigation_for(user)
    current = _current_item(items, endpoint)
    entries: list[NavEntry] = [NavEntry(item.endpoint, item.label, [item]) for item in items if item.group is None]
    for key, label in GROUPS.items():
        members = [item for item in items if item.group == key]
        if members:
            entries.append(NavEntry(key, label, members))
    for entry in entries:
        entry.current = current is not None and current in entry.items
    return entries

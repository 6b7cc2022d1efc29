"""My day is assembled from reminder sections that each area registers.

A section is a function ``(user) -> ReminderSection | None``; ``None`` means the section does not
apply to this user's role. Sections registered with ``first=True`` (follow-ups due, alerts) are on the
page as it opens; the others follow in one htmx request after the first paint, so what a
salesperson reads first does not wait for the payments, quotes and birthdays below it.

Sections registered with ``kept=True`` are a department's (a head's) or the company's (the
administrator's) lists over thousands of rows: for those two roles they are kept a few minutes
(``figures_cache``) and the part says when they were read ("Department figures as of HH:MM ·
Refresh"). A salesperson's own lists, which they act on, are always read afresh.
"""
import copy
from typing import Callable

from flask_babel import gettext as _

from portal.figures_cache import cached_figures
from portal.models import Role
from portal.panels import Section as ReminderSection
from portal.rules.followups import company_today

# Each of My day's lists shows its first rows and its total, with a link to the whole list where
# one exists: a page read on a phone at the start of the day, not a report (and cheap to build).
LIST_LIMIT = 20

_PROVIDERS: list[Callable] = []
# The first part's providers, each with the words naming it in the folded line when it has nothing
# due: the folded line is written by the later part, which knows the first part only by name.
_FIRST: dict[Callable, object] = {}
# Providers on the first part for some roles only (the others get them in the later part).
_FIRST_FOR: dict[Callable, tuple] = {}
_KEPT: set[Callable] = set()
# Who reads a department's or the company's lists, which may be kept a few minutes.
KEPT_FOR_ROLES = (Role.HEAD, Role.ADMIN)

# Which of My day's parts to build: the page as it opens, what follows it, or both.
FIRST, LATER, ALL = "first", "later", "all"


def register_reminders(provider: Callable | None = None, *, first: bool | tuple = False, folded_label=None,
                       kept: bool = False):
    """Register a section provider: ``@register_reminders``, or ``@register_reminders(first=True,
    folded_label=…)`` for one on the page as it opens (``folded_label``: its ``empty_label``), or
    ``first=(roles…)`` for one on the page as it opens for those roles and in the later part for
    the others; ``kept=True``: a head's or administrator's section may be kept a few minutes (module doc)."""

    def register(function: Callable) -> Callable:
        if function not in _PROVIDERS:
            _PROVIDERS.append(function)
        if first:
            _FIRST[function] = folded_label
            if isinstance(first, tuple):
                _FIRST_FOR[function] = first
        if kept:
            _KEPT.add(function)
        return function

    return register(provider) if provider is not None else register


def _wanted(provider: Callable, part: str, user) -> bool:
    first = provider in _FIRST and (provider not in _FIRST_FOR or user.role in _FIRST_FOR[provider])
    return part == ALL or first == (part == FIRST)


def sections_for(user, part: str = ALL) -> list[ReminderSection]:
    """The user's sections of ``part`` (FIRST, LATER or ALL), in page order. A kept section carries
    ``read_at``, the moment (UTC) its figures were read."""
    sections = []
    for provider in _PROVIDERS:
        if _wanted(provider, part, user) and (section := _section(provider, user)) is not None:
            section.key = provider.__name__
            sections.append(section)
    return sorted(sections, key=lambda section: section.order)


def _section(provider: Callable, user) -> ReminderSection | None:
    if provider not in _KEPT or user.role not in KEPT_FOR_ROLES:
        return provider(user)
    # The person is part of the key: a section may hold something of theirs beside the department's.
    figures = cached_figures("my_day." + provider.__name__, (user.role, user.department_id, user.id), (company_today(),),
                             lambda: provider(user))
    if figures.value is None:
        return None
    section = copy.copy(figures.value)
    section.read_at = figures.computed_at
    return section


def read_at(sections: list[ReminderSection]):
    """When the oldest kept figures among ``sections`` were read (UTC), or None if none was kept."""
    return min((section.read_at for section in sections if section.read_at is not None), default=None)


def folded_keys(sections: list[ReminderSection]) -> str:
    """The first part's folded sections by name, for the request of the later part: "a,b"."""
    return ",".join(section.key for section in sections if section.empty_label)


def first_folded_labels(keys: str, user) -> list:
    """The folded labels of ``user``'s first part's sections named in ``keys`` (names not of that
    part are ignored), in page order."""
    named = set(keys.split(",")[:len(_FIRST)])
    return [label for provider, label in _FIRST.items()
            if provider.__name__ in named and label and _wanted(provider, FIRST, user)]


def list_total(rows) -> int:
    """The total of a list cut at ``LIST_LIMIT`` whose rows carry it as ``total`` (``count() OVER ()``
    in the statement that reads the rows): 0 for no rows."""
    return rows[0].total if rows else 0


def split_folded(sections: list[ReminderSection]) -> tuple[list[ReminderSection], list[ReminderSection]]:
    """(sections with something to act on, sections with nothing), each in page order."""
    return [section for section in sections if not section.empty], [section for section in sections if section.empty]


def folded_line(sections: list[ReminderSection], first_labels=()) -> str:
    """One sentence naming what is clear today: "No A, B or C today." (今天没有A、B和C); "" for none.
    ``first_labels``: the first part's, named before the sections'."""
    labels = [*first_labels, *(section.empty_label for section in sections if section.empty_label)]
    if not labels:
        return ""
    items = labels[0]
    for label in labels[1:-1]:
        items = _("%(list)s, %(item)s", list=items, item=label)
    if len(labels) > 1:
        items = _("%(list)s or %(item)s", list=items, item=labels[-1])
    return _("No %(items)s today.", items=items)

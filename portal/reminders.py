"""My day is assembled from reminder sections that each area registers.

A section is a function ``(user) -> ReminderSection | None``; ``None`` means the section does not
apply to this user's role.
"""
from typing import Callable

from flask_babel import gettext as _

from portal.panels import Section as ReminderSection

# Each of My day's lists shows its first rows and its total, with a link to the whole list where
# one exists: a page read on a phone at the start of the day, not a report (and cheap to build).
LIST_LIMIT = 20

_PROVIDERS: list[Callable] = []


def register_reminders(provider: Callable) -> Callable:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def sections_for(user) -> list[ReminderSection]:
    sections = [section for provider in _PROVIDERS if (section := provider(user)) is not None]
    return sorted(sections, key=lambda section: section.order)


def list_total(rows) -> int:
    """The total of a list cut at ``LIST_LIMIT`` whose rows carry it as ``total`` (``count() OVER ()``
    in the statement that reads the rows): 0 for no rows."""
    return rows[0].total if rows else 0


def split_folded(sections: list[ReminderSection]) -> tuple[list[ReminderSection], list[ReminderSection]]:
    """(sections with something to act on, sections with nothing), each in page order."""
    return [section for section in sections if not section.empty], [section for section in sections if section.empty]


def folded_line(sections: list[ReminderSection]) -> str:
    """One sentence naming what is clear today: "No A, B or C today." (今天没有A、B和C); "" for none."""
    labels = [section.empty_label for section in sections if section.empty_label]
    if not labels:
        return ""
    items = labels[0]
    for label in labels[1:-1]:
        items = _("%(list)s, %(item)s", list=items, item=label)
    if len(labels) > 1:
        items = _("%(list)s or %(item)s", list=items, item=labels[-1])
    return _("No %(items)s today.", items=items)

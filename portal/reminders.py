"""My day is assembled from reminder sections that each area registers.

A section is a function ``(user) -> ReminderSection | None``; ``None`` means the section does not
apply to this user's role.
"""
from typing import Callable

from portal.panels import Section as ReminderSection


_PROVIDERS: list[Callable] = []


def register_reminders(provider: Callable) -> Callable:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def sections_for(user) -> list[ReminderSection]:
    sections = [section for provider in _PROVIDERS if (section := provider(user)) is not None]
    return sorted(sections, key=lambda section: section.order)

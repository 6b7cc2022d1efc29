"""Sections an area adds to another area's page: the customer page shows the customer's quotes
without the customers area knowing about quotes.

A provider is ``(record, user) -> Panel | None``, registered for a page name with
``register_panel("customer")``; the page renders ``panels_for("customer", customer, user)``.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable


@dataclass
class Section:
    """A titled part of a page rendered from its own template (panels here, My day's reminders)."""

    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    # My day: a section with nothing to act on is folded into one line naming what is clear
    # ("no overdue payments, complaints or expiring quotes today") instead of its empty lists.
    empty: bool = False
    empty_label: str = ""
    # The name of the function that made it (My day's providers): how My day's later part knows
    # which of the first part's sections were folded.
    key: str = ""
    # My day: when the figures of a section kept a few minutes were read (UTC); None: just now.
    read_at: datetime | None = None


Panel = Section


_PROVIDERS: dict[str, list[Callable]] = {}


def register_panel(page: str):
    def decorator(provider: Callable) -> Callable:
        providers = _PROVIDERS.setdefault(page, [])
        if provider not in providers:
            providers.append(provider)
        return provider

    return decorator


def panels_for(page: str, record, user) -> list[Panel]:
    panels = [panel for provider in _PROVIDERS.get(page, []) if (panel := provider(record, user)) is not None]
    return sorted(panels, key=lambda panel: panel.order)

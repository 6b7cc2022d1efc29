"""What an export may carry, by the role's export right.

Levels: ``details`` (every column, phones, mobiles, e-mail and WeChat included), ``names`` (the
columns without contact details: names, stages, grades, dates) or ``none`` (a list carrying contact
details is not exported at all). A stored value that is none of these counts as the role's default.
"""
DETAILS, NAMES, NONE = "details", "names", "none"
LEVELS = (DETAILS, NAMES, NONE)
DEFAULT_LEVELS = {"admin": DETAILS, "head": DETAILS, "sales": NAMES, "hr": NONE}


def export_level(role: str, stored: str | None) -> str:
    """The role's level: ``stored`` (trimmed, any case) when it is a level, else the role's default."""
    value = (stored or "").strip().lower()
    return value if value in LEVELS else DEFAULT_LEVELS.get(str(role), NONE)


def columns_for_level(columns: list, level: str) -> list | None:
    """The columns an export at ``level`` carries: all with ``details``; without the contact columns
    (``column.contact``) with ``names``; ``None`` (no export) with ``none`` when any column is a
    contact column — a list without contact details is exported whatever the level."""
    contact = [column for column in columns if getattr(column, "contact", False)]
    if not contact or level == DETAILS:
        return list(columns)
    if level == NAMES:
        return [column for column in columns if not getattr(column, "contact", False)]
    return None

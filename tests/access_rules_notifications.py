"""Access rules of the notification settings (one's own, every role) and the calendar feed."""
from access_matrix import EVERYONE, Rule

RULES = [
    Rule("notifications.settings", EVERYONE),
]

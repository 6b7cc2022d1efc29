"""Access rules of the notification settings (one's own, every role), the department's team chat
(its head) and the calendar feed: the feed
answers to its token alone, so a session without a token gets nothing (404)."""
from access_matrix import EVERYONE, OK, PUBLIC_ENDPOINTS, ROLES, Rule

# Reachable without logging in: the token is the credential (tests/test_calendar_feed.py).
PUBLIC_ENDPOINTS.add("notifications.feed")

RULES = [
    Rule("notifications.settings", EVERYONE),
    Rule("notifications.feed_create", EVERYONE, method="POST"),
    Rule("notifications.feed_revoke", EVERYONE, method="POST"),
    # A head sets the robot of their own department.
    Rule("notifications.team_chat", {"sales": 403, "head": OK, "hr": 403, "admin": 403}),
    Rule("notifications.feed", {role: 404 for role in ROLES}, url_args=lambda records: {"token": "not-a-feed-token"}),
]

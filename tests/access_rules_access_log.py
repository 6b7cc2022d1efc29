"""Access rules of the access log: the administrator and heads read it (a head their department's);
salespeople and HR neither read nor export it."""
from access_matrix import OK, Rule

LOG_READERS = {"sales": 403, "head": OK, "hr": 403, "admin": OK}

RULES = [
    Rule("access_log.index", LOG_READERS),
    Rule("access_log.export", LOG_READERS),
    # The leaving procedure (admin area): only the administrator.
    Rule("admin.user_leaving", {"sales": 403, "head": 403, "hr": 403, "admin": OK}, url_args=lambda r: {"user_id": r.user.id}),
    Rule("admin.user_leaving", {"sales": 403, "head": 403, "hr": 403, "admin": OK}, url_args=lambda r: {"user_id": r.user.id},
         method="POST", data={"mode": "one", "colleague_id": "0"}),
]

"""Access rules of the performance pages, targets and sheets."""
from access_matrix import EVERYONE, OK, Rule

HEADS_AND_ADMIN = {"sales": 403, "head": OK, "hr": 403, "admin": OK}
SHEET_READERS = {"sales": 403, "head": OK, "hr": OK, "admin": OK}

RULES = [
    Rule("performance.index", EVERYONE),
    Rule("performance.targets", HEADS_AND_ADMIN),
    Rule("performance.targets", HEADS_AND_ADMIN, method="POST", data={}),
    Rule("performance.sheet", SHEET_READERS),
    Rule("performance.sheet_export", SHEET_READERS),
]

"""Access rules of the header's search: every role may search; what it finds is scoped (tests/test_search.py)."""
from access_matrix import EVERYONE, Rule

RULES = [
    Rule("search.index", EVERYONE),
]

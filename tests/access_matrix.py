"""The access matrix: every endpoint × role × record scope → expected answer.

Each area adds its endpoints to ``RULES`` and, when its endpoints take a record, a builder to
``RECORD_BUILDERS`` that creates that record once per scope. ``test_access.py`` fails when an
endpoint of the app is missing here.

Scopes, seen from the acting user (every actor belongs to department A):
- ``own``: a record the actor owns (in department A);
- ``same_department``: a record of a colleague in department A;
- ``other_department``: a record of a salesperson in department B.
"""
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

ROLES = ("sales", "head", "hr", "admin")
SCOPES = ("own", "same_department", "other_department")
OK = "ok"  # any answer but 401/403/404/405 or a server error
ADMIN_ONLY = {"sales": 403, "head": 403, "hr": 403, "admin": OK}
EVERYONE = {role: OK for role in ROLES}
# Customer data: sales see their own, heads their department, HR nothing, admin all.
CUSTOMER_SCOPED = {
    "sales": {"own": OK, "same_department": 404, "other_department": 404},
    "head": {"own": OK, "same_department": OK, "other_department": 404},
    "hr": {"own": 404, "same_department": 404, "other_department": 404},
    "admin": {"own": OK, "same_department": OK, "other_department": OK},
}


@dataclass
class Rule:
    endpoint: str
    # role -> expected, or role -> {scope -> expected} for endpoints that take a record
    expect: dict
    url_args: Callable[[SimpleNamespace], dict] | None = None
    method: str = "GET"
    data: dict = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        return self.url_args is not None

    def expected(self, role: str, scope: str | None):
        value = self.expect[role]
        return value[scope] if isinstance(value, dict) else value


# builder(world, scope, records) adds attributes to ``records`` for one scope.
RECORD_BUILDERS: list[Callable] = []


def _accounts_records(world, scope, records):
    records.user = {"own": world.actor, "same_department": world.colleague, "other_department": world.outsider}[scope]
    records.department = world.department_b if scope == "other_department" else world.department_a


RECORD_BUILDERS.append(_accounts_records)

RULES: list[Rule] = [
    # Foundation
    Rule("home.index", EVERYONE),
    Rule("home.later", EVERYONE),
    Rule("auth.logout", EVERYONE, method="POST"),
    Rule("auth.password", EVERYONE),
    Rule("auth.language", EVERYONE, method="POST", data={"language": "en"}),
    Rule("admin.users", ADMIN_ONLY),
    Rule("admin.user_new", ADMIN_ONLY),
    Rule("admin.user_edit", ADMIN_ONLY, url_args=lambda r: {"user_id": r.user.id}),
    Rule("admin.user_reset_password", ADMIN_ONLY, url_args=lambda r: {"user_id": r.user.id}, method="POST"),
    Rule("admin.user_toggle_active", ADMIN_ONLY, url_args=lambda r: {"user_id": r.user.id}),
    Rule("admin.departments", ADMIN_ONLY),
    Rule("admin.department_edit", ADMIN_ONLY, url_args=lambda r: {"department_id": r.department.id}),
    Rule("admin.department_archive", ADMIN_ONLY, url_args=lambda r: {"department_id": r.department.id}),
    Rule("admin.archived", ADMIN_ONLY),
    Rule(
        "admin.restore",
        ADMIN_ONLY,
        url_args=lambda r: {"record_type": "departments", "record_id": r.department.id},
        method="POST",
    ),
    Rule("audit.history", ADMIN_ONLY, url_args=lambda r: {"record_type": "users", "record_id": r.user.id}),
]

# Reachable without logging in.
PUBLIC_ENDPOINTS = {"auth.login", "auth.setup", "static"}

# Each area keeps its rules in tests/access_rules_<area>.py with RULES (and RECORD_BUILDERS).
import importlib  # noqa: E402
from pathlib import Path  # noqa: E402

# The customers' builder runs first: the other areas' records belong to its customer.
for _path in sorted(Path(__file__).parent.glob("access_rules_*.py"), key=lambda path: (path.stem != "access_rules_customers", path.stem)):
    _module = importlib.import_module(_path.stem)
    RULES.extend(_module.RULES)
    RECORD_BUILDERS.extend(getattr(_module, "RECORD_BUILDERS", []))

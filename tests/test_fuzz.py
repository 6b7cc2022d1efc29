"""No input, however hostile, answers 5xx, and a refused request changes no row.

The test walks the app's ``url_map``, so an endpoint that a new area adds is covered without
touching this file (the access matrix gives it a record to act on). For each role, on a fresh
database, every endpoint and method gets generated requests: the page's own form filled as it is
shown, with some fields replaced by hostile values (huge and negative integers, NUL bytes, 10,000
characters, 1e309/NaN, impossible dates, full-width digits, empty values, repeated parameters),
and list URLs get the same in their query string. CSRF is off in the test app, which is what a
valid token gives.

``PORTAL_FUZZ_REQUESTS`` sets the requests per run (default 10,400, shared evenly by the roles and
then by their endpoints and methods, at least 10 each), so the run time stays flat as areas add
endpoints.
"""
import os
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String, func, literal, select, text, union_all

from access_matrix import PUBLIC_ENDPOINTS, RECORD_BUILDERS, ROLES, RULES
from conftest import HTMX_HEADERS, login_as
from portal.extensions import db
from portal.models import User

REQUESTS_PER_RUN = int(os.environ.get("PORTAL_FUZZ_REQUESTS", "10400"))
MINIMUM_PER_ENDPOINT = 10
# Names that list and form URLs commonly read, tried on every endpoint besides the page's own fields.
COMMON_NAMES = ["version", "q", "after", "before", "page", "owner", "department", "id", "customer", "status"]
# Endpoints that end the session or change the actor: run last, and the actor is restored after.
RUN_LAST = ("logout", "toggle", "archive", "merge", "handover", "restore", "password")

HOSTILE_VALUES = [
    "9" * 30,
    str(2**63),
    str(2**64 + 1),
    "-9223372036854775809",
    "-1",
    "0",
    "a\x00b",
    "\x00",
    "x" * 10_000,
    "中" * 10_000,
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "9999-99-99",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59",
    "１２３",
    "１" * 25,
    "",
    " ",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "=HYPERLINK(\"http://x\",\"y\")",
    "1.005",
    "-0.01",
    "99999999999.99",
]
# Besides the generated requests, every field of every endpoint gets these one at a time (the rest
# of the form as shown), so the most common failures cannot hide behind chance.
SWEEP_HUGE = "9" * 30
SWEEP_BAD_DATE = "9999-12-31"
DATE_LIKE = ("date", "_on", "_at", "until", "from", "to", "period", "birthday", "day", "month")

hostile_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)
# A repeated parameter arrives as a list.
hostile_field = st.one_of(hostile_value, st.lists(hostile_value, min_size=2, max_size=3))


class _FormReader(HTMLParser):
    """The forms of a page: action, method and the values their fields are shown with."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        if self._form is None or not attrs.get("name"):
            if tag == "option" and self._select is not None and ("selected" in attrs or self._select[1] is None):
                self._form["fields"][self._select[0]] = attrs.get("value", "")
                self._select = (self._select[0], True) if "selected" in attrs else (self._select[0], False)
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self._form["fields"][name] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = (name, None)
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"][name] = ""

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms_of(html: str) -> list[dict]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def _fingerprint_statement():
    """Rows and summed versions of every table, in one statement: any insert, update or archive
    changes the result. Compiled once to SQL text, so each check costs one round trip."""
    parts = []
    for table in db.metadata.sorted_tables:
        version = func.coalesce(func.sum(table.c.version), 0) if "version" in table.c else literal(0, Integer)
        parts.append(select(literal(table.name, String).label("name"), func.count().label("rows"), version.label("versions")).select_from(table))
    compiled = union_all(*parts).compile(db.engine, compile_kwargs={"literal_binds": True})
    return text(str(compiled))


def _row_fingerprint(statement):
    return tuple(tuple(row) for row in db.session.execute(statement).all())


def _targets(app, records):
    """(endpoint, url, methods, access-rule data) for every endpoint behind login, destructive last."""
    rules_by_endpoint: dict[str, list] = {}
    for rule in RULES:
        rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
    targets = []
    for url_rule in app.url_map.iter_rules():
        if url_rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        access_rules = rules_by_endpoint.get(url_rule.endpoint, [])
        args = {}
        if url_rule.arguments:
            scoped = [rule for rule in access_rules if rule.url_args is not None]
            if not scoped:
                continue
            args = scoped[0].url_args(records)
        with app.test_request_context():
            url = url_for(url_rule.endpoint, **args)
        data = {}
        for rule in access_rules:
            data.update(rule.data)
        methods = sorted(url_rule.methods - {"HEAD", "OPTIONS"})
        targets.append((url_rule.endpoint, url, methods, data))
    targets.sort(key=lambda target: any(word in target[0] for word in RUN_LAST))
    return targets


def _base_fields(client, url: str, method: str, rule_data: dict) -> dict:
    """The fields a user would send: the page's matching form as shown, else the matrix's data."""
    response = client.get(url)
    fields = dict(rule_data)
    if response.status_code == 200 and response.mimetype == "text/html":
        path = urlsplit(url).path
        forms = [form for form in _forms_of(response.get_data(as_text=True)) if form["method"] == method.lower()]
        matching = [form for form in forms if urlsplit(form["action"]).path in ("", path)]
        for form in matching[:1] or forms[:1]:
            fields.update(form["fields"])
    fields.pop("csrf_token", None)
    return fields


def _restore_actor(client, actor_id: int) -> None:
    """Undo what the run-last endpoints may have done to the actor, and log in again."""
    db.session.rollback()
    actor = db.session.get(User, actor_id)
    actor.active = True
    db.session.commit()
    login_as(client, actor)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_never_answers_5xx_nor_changes_rows_when_refused(app, client, world, role):
    world.actor = world.actors[role]
    records = SimpleNamespace()
    for build in RECORD_BUILDERS:
        build(world, "own", records)
    actor_id = world.actor.id
    login_as(client, world.actor)
    sent = {"requests": 0}
    fingerprint = _fingerprint_statement()
    failures: list[str] = []

    def send_one(method, url, payload, as_htmx):
        """One request; a 5xx, an exception, or an error answer that changed rows is a failure."""
        before = _row_fingerprint(fingerprint)
        headers = HTMX_HEADERS if as_htmx else {}
        sent["requests"] += 1
        try:
            if method == "GET":
                response = client.open(url, method=method, query_string=payload, headers=headers)
            else:
                response = client.open(url, method=method, data=payload, headers=headers)
        except Exception as error:  # the test app propagates what a server would answer 500 to
            db.session.rollback()
            failures.append(f"{method} {url} raised {error.__class__.__name__}: {str(error)[:200]} with {_short(payload)}")
            return
        status = response.status_code
        if status >= 500:
            failures.append(f"{method} {url} {status} with {_short(payload)}")
        elif status >= 400 and _row_fingerprint(fingerprint) != before:
            failures.append(f"{method} {url} answered {status} but changed rows, with {_short(payload)}")

    plans = []  # (endpoint, url, method, the form as shown, the names to vary, the sweep)
    for endpoint, url, methods, rule_data in _targets(app, records):
        for method in methods:
            base = _base_fields(client, url, method, rule_data) if "GET" in methods else dict(rule_data)
            names = sorted(set(base) | set(COMMON_NAMES))
            sweep = [
                {**base, name: value}
                for name in names
                for value in [SWEEP_HUGE] + ([SWEEP_BAD_DATE] if any(part in name for part in DATE_LIKE) else [])
            ]
            plans.append((endpoint, url, method, base, names, sweep))
    per_role = REQUESTS_PER_RUN // len(ROLES)
    generated = per_role - sum(len(plan[5]) for plan in plans)
    examples = max(MINIMUM_PER_ENDPOINT, -(-generated // len(plans)))
    for index, (endpoint, url, method, base, names, sweep) in enumerate(plans):
        for payload in sweep:
            send_one(method, url, payload, as_htmx=False)

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            changes=st.dictionaries(st.sampled_from(names), hostile_field, min_size=1, max_size=3),
            dropped=st.lists(st.sampled_from(names), max_size=2),
            as_htmx=st.booleans(),
        )
        def send(changes, dropped, as_htmx):
            payload = {name: value for name, value in base.items() if name not in dropped}
            payload.update(changes)
            send_one(method, url, payload, as_htmx)

        send()
        next_endpoint = plans[index + 1][0] if index + 1 < len(plans) else None
        if any(word in endpoint for word in RUN_LAST) and next_endpoint != endpoint:
            _restore_actor(client, actor_id)
    assert failures == [], f"{len(failures)} bad answers, first: " + "\n".join(failures[:10])
    assert sent["requests"] >= per_role


def _short(payload: dict) -> dict:
    def cut(value):
        if isinstance(value, list):
            return [cut(item) for item in value]
        return value if len(value) <= 40 else value[:20] + f"…({len(value)} chars)"

    return {name: cut(value) for name, value in payload.items()}

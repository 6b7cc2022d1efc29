"""What the benchmark measures, each figure beside the baseline it is judged against.

Pages and fragments are timed as warm requests through the Flask test client (median and p95).
Baselines, measured in the same run on the same data:
- a list fragment against the same fragment template rendered by a bare route from the rows the
  real request loaded (preloaded: the bare route runs no SQL);
- a page's ORM queries (the functions the route calls, each on a fresh session, rows hydrated)
  against hand-written SQL (``text()``) returning the same rows — compared on medians.
"""
import gc
import io
import html
import math
import re
from datetime import date
import statistics
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from flask import g, make_response, render_template, template_rendered
from sqlalchemy import Date, event, select, text

from portal.database import UTCDateTime

LIMITS = {
    "fragment_ms": 100.0,
    "search_fragment_ms": 50.0,
    "search_box_ms": 50.0,
    "page_ms": 200.0,
    "fragment_over_baseline": 2.0,
    "list_orm_over_sql": 1.3,
    "page_orm_over_sql": 2.0,
    "large_over_medium": 1.2,
    "export_over_bare": 1.25,
    "analysis_ms": 1500.0,
    "analysis_over_sql": 2.0,
    "export_extra_peak_mb": 50.0,
    "sheet_xlsx_ms": 1000.0,
    "nightly_command_s": 10.0,
    "grading_page_ms": 300.0,
    "import_over_bare": 1.5,
    "access_log_record_ms": 0.3,
    "access_log_list_ms": 100.0,
}
REPEAT = {"request": 50, "baseline": 50, "query": 60}
WARMUP = 3
ROWS_TARGET = "customer-rows"
HX_ROWS = {"HX-Request": "true", "HX-Target": ROWS_TARGET}
DEEP_PAGE = 50
_NEXT_LINK = re.compile(r'href="([^"]*[?&;]after=[^"]*)"')

# key -> (template, context, user) for the bare baseline route
PRELOADED: dict[str, tuple] = {}


def entry(name: str, value: float, unit: str, limit: float | None = None) -> dict:
    return {"name": name, "value": round(value, 3), "unit": unit, "limit": limit}


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(action, count: int) -> list[float]:
    """Milliseconds of ``count`` calls of ``action`` after a warm-up."""
    for _ in range(WARMUP):
        action()
    gc.collect()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


class Statements:
    """Counts SQL statements sent to the database while ``recording``."""

    def __init__(self, engine):
        self.recorded: list[str] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _executemany):
        if self.active:
            self.recorded.append(statement)
            self.with_parameters.append((statement, parameters))

    @contextmanager
    def recording(self):
        self.recorded = []
        self.with_parameters = []
        self.active = True
        try:
            yield self
        finally:
            self.active = False


def make_app(url: str, instance_path: str):
    from portal import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": True,
        },
        instance_path=instance_path,
    )
    app.add_url_rule("/_bench/render/<key>", "bench_render", _render_preloaded)
    return app


def _render_preloaded(key: str):
    """The bare baseline: the same template and rows, no login lookup, no SQL."""
    template, context, user = PRELOADED[key]
    g._login_user = user
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


class Bench:
    def __init__(self, url: str, facts: dict, repeat: int | None, instance_path: str):
        from portal.extensions import db

        self.app = make_app(url, instance_path)
        self.facts = facts
        self.repeat = repeat
        self.results: list[dict] = []
        self.db = db
        with self.app.app_context():
            self.statements = Statements(db.engine)
        self.users = {}
        self.clients = {}
        self._processor_keys = self._context_processor_keys()

    # --- plumbing ---------------------------------------------------------------------------

    def count(self, kind: str) -> int:
        return self.repeat or REPEAT[kind]

    def add(self, name, value, unit, limit=None):
        self.results.append(entry(name, value, unit, limit))

    def user(self, role: str):
        """The generated account for ``role`` (sales, head, admin), loaded once and kept detached."""
        if role not in self.users:
            from portal.models import User

            with self.app.app_context():
                user = self.db.session.scalar(select(User).where(User.username == self.facts[role]))
                self.db.session.expunge(user)
            self.users[role] = user
        return self.users[role]

    def client(self, role: str):
        """A test client logged in as ``role`` through the session, as the test suite does."""
        if role not in self.clients:
            client = self.app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = self.user(role).session_token
                session["_fresh"] = True
            self.clients[role] = client
        return self.clients[role]

    def get(self, role: str, url: str, headers=None):
        response = self.client(role).get(url, headers=headers or {})
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} as {role} answered {response.status_code}")
        return response

    def statements_of(self, role: str, url: str, headers=None) -> list[str]:
        with self.statements.recording() as recorder:
            self.get(role, url, headers)
        return list(recorder.recorded)

    def request_figures(self, name: str, role: str, url: str, headers=None, limit_ms: float | None = None) -> dict:
        """Median, p95 and statements of GET ``url``; returns the figures for ratios."""
        response = self.get(role, url, headers)
        samples = timed(lambda: self.get(role, url, headers), self.count("request"))
        statements = len(self.statements_of(role, url, headers))
        figures = {"median": statistics.median(samples), "p95": p95(samples), "bytes": len(response.data)}
        self.add(f"{name}.median", figures["median"], "ms")
        self.add(f"{name}.p95", figures["p95"], "ms", limit_ms)
        self.add(f"{name}.statements", statements, "statements")
        return figures

    def _context_processor_keys(self) -> set[str]:
        with self.app.test_request_context():
            context = {}
            self.app.update_template_context(context)
        return set(context)

    def preload(self, key: str, role: str, url: str, headers) -> None:
        """Keep the template and context the real request rendered, for the bare route."""
        seen = []

        def record(_sender, template, context, **_extra):
            seen.append((template.name, dict(context)))

        template_rendered.connect(record, self.app)
        try:
            self.get(role, url, headers)
        finally:
            template_rendered.disconnect(record, self.app)
        template, context = seen[0]
        user = context.get("current_user")
        view_context = {k: v for k, v in context.items() if k not in self._processor_keys}
        PRELOADED[key] = (template, view_context, user)

    def query_figures(self, orm, sql, same) -> tuple[float, float]:
        """Medians (ms) of the ORM work and of the hand-written SQL, each on a fresh session.

        ``same(orm_result, sql_result)`` checks both found the same rows.
        """
        session = self.db.session
        with self.app.test_request_context():
            orm_result, sql_result = orm(), sql()
            if not same(orm_result, sql_result):
                raise RuntimeError("the ORM query and the hand-written SQL disagree")

            def fresh(action):
                def run():
                    session.remove()
                    started = time.perf_counter()
                    action()
                    return (time.perf_counter() - started) * 1000

                return run

            orm_ms = self._timed_inner(fresh(orm), self.count("query"))
            sql_ms = self._timed_inner(fresh(sql), self.count("query"))
            session.remove()
        return statistics.median(orm_ms), statistics.median(sql_ms)

    @staticmethod
    def _timed_inner(run, count: int) -> list[float]:
        for _ in range(WARMUP):
            run()
        gc.collect()
        return [run() for _ in range(count)]

    # --- scenarios --------------------------------------------------------------------------

    def customer_list(self) -> None:
        from flask import url_for

        term = self.facts["search_term"]
        # search_miss finds nothing: the case a scan reads every customer for (the index does not).
        variants = {
            "first": {}, "page50": {}, "filtered": {"stage": "intended", "grade": "A"},
            "search": {"q": term}, "search_miss": {"q": "无此客户"},
        }
        for role in ("sales", "admin"):
            for variant, args in variants.items():
                with self.app.test_request_context():
                    url = url_for("customers.index", **args)
                if variant == "page50":
                    url, page_number = self.follow_pages(role, url, DEEP_PAGE)
                    self.add(f"list.{role}.page50.page_number", page_number, "page")
                name = f"list.{role}.{variant}"
                page = self.request_figures(f"{name}.page", role, url, None, LIMITS["page_ms"])
                fragment_limit = LIMITS["search_fragment_ms"] if variant.startswith("search") else LIMITS["fragment_ms"]
                fragment = self.request_figures(f"{name}.fragment", role, url, HX_ROWS, fragment_limit)
                self.preload(name, role, url, HX_ROWS)
                baseline_url = f"/_bench/render/{name}"
                with self.statements.recording() as recorder:
                    self.get(role, baseline_url, HX_ROWS)
                if recorder.recorded:
                    raise RuntimeError(f"the bare baseline of {name} ran SQL: {recorder.recorded}")
                baseline = timed(lambda: self.get(role, baseline_url, HX_ROWS), self.count("baseline"))
                self.add(f"{name}.baseline.p95", p95(baseline), "ms")
                self.add(f"{name}.fragment.over_baseline", fragment["p95"] / p95(baseline), "ratio", LIMITS["fragment_over_baseline"])
                self.add(f"{name}.fragment.bytes", fragment["bytes"], "bytes")
                self.add(f"{name}.page.bytes", page["bytes"], "bytes")
                # Fragments carrying no page chrome is a test (tests/test_fragments.py), not a target here.
                query_args = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                orm_ms, sql_ms = self.query_figures(*self.list_queries(role, query_args))
                self.add(f"{name}.query.orm_median", orm_ms, "ms")
                self.add(f"{name}.query.sql_median", sql_ms, "ms")
                self.add(f"{name}.query.orm_over_sql", orm_ms / sql_ms, "ratio", LIMITS["list_orm_over_sql"])

    def follow_pages(self, role: str, url: str, page: int) -> tuple[str, int]:
        """The URL of page ``page`` reached by following the keyset "Next" link (or the last page)."""
        reached = 1
        while reached < page:
            match = _NEXT_LINK.search(self.get(role, url, HX_ROWS).get_data(as_text=True))
            if not match:
                break
            url = html.unescape(match.group(1))
            reached += 1
        return url, reached

    def list_queries(self, role: str, args: dict):
        from portal.blueprints.customers.queries import PAGE_SIZE, CustomerFilters, list_customers

        user = self.user(role)
        filters = CustomerFilters.from_args(args)
        after = args.get("after")

        def orm():
            return list_customers(user, filters, after)

        where, params = ["c.archived_at IS NULL"], {"limit": PAGE_SIZE + 1}
        where += _scope_sql(user, params)
        if filters.stage:
            where.append("c.stage = :stage")
            params["stage"] = filters.stage
        if filters.grade:
            where.append("c.intention_grade = :grade")
            params["grade"] = filters.grade
        for number, term in enumerate(filters.q.lower().split()):
            where.append(f"c.search_text LIKE :term{number}")
            params[f"term{number}"] = f"%{term}%"
        if after:
            where.append("c.id < :after")
            params["after"] = int(after)
        statement = text(
            "SELECT c.id, c.name, c.stage, c.intention_grade, c.region, c.phone, c.mobile, c.customer_type_id,"
            " c.next_follow_up_on, u.display_name AS owner_name"
            " FROM customers c JOIN users u ON u.id = c.owner_id"
            f" WHERE {' AND '.join(where)} ORDER BY c.id DESC LIMIT :limit"
        ).columns(next_follow_up_on=Date)

        def sql():
            return self.db.session.execute(statement, params).all()

        def same(page, rows):
            return [customer.id for customer in page.rows] == [row.id for row in rows[:PAGE_SIZE]]

        return orm, sql, same

    def quotes(self) -> None:
        _quote_scenarios(self)

    def export(self) -> None:
        _export_scenario(self)

    def lost_analysis(self) -> None:
        _lost_analysis_scenario(self)

    def contracts(self) -> None:
        _contract_scenarios(self)

    def performance(self) -> None:
        _performance_scenarios(self)

    def complaints(self) -> None:
        _complaint_scenarios(self)

    def grading(self) -> None:
        _grading_scenarios(self)

    def pool(self) -> None:
        _pool_scenarios(self)

    def imports(self) -> None:
        _import_scenario(self)

    def search(self) -> None:
        _search_scenario(self)

    def access_log(self) -> None:
        _access_log_scenario(self)

    def customer_page(self) -> None:
        from flask import url_for

        customer_id = self.facts["focus_customer_id"]
        with self.app.test_request_context():
            url = url_for("customers.detail", customer_id=customer_id)
        self.request_figures("customer_page.sales.page", "sales", url, None, LIMITS["page_ms"])
        orm_ms, sql_ms = self.query_figures(*self.customer_page_queries(customer_id))
        self.add("customer_page.sales.query.orm_median", orm_ms, "ms")
        self.add("customer_page.sales.query.sql_median", sql_ms, "ms")
        self.add("customer_page.sales.query.orm_over_sql", orm_ms / sql_ms, "ratio", LIMITS["page_orm_over_sql"])

    def customer_page_queries(self, customer_id: int):
        from portal.access import get_scoped_or_404
        from portal.audit import history_of
        from portal.blueprints.customers.routes import DETAIL_OPTIONS
        from portal.blueprints.followups.panel import PAGE_SIZE, build_panel
        from portal.models import Customer

        user = self.user("sales")
        options = DETAIL_OPTIONS

        def orm():
            customer = get_scoped_or_404(Customer, customer_id, user, options=options)
            contacts = [contact for contact in customer.contacts if contact.archived_at is None]
            history = history_of(customer)
            panel = build_panel(customer, with_form=False)
            return customer, contacts, history, panel

        params = {"customer_id": customer_id, "limit": PAGE_SIZE + 1, "user_id": user.id}
        customer_sql = text(
            "SELECT c.*, u.display_name AS owner_name, d.name AS department_name, t.name AS type_name,"
            " s.name AS source_name FROM customers c JOIN users u ON u.id = c.owner_id"
            " JOIN departments d ON d.id = c.department_id"
            " LEFT JOIN lookup_values t ON t.id = c.customer_type_id LEFT JOIN lookup_values s ON s.id = c.source_id"
            " WHERE c.id = :customer_id AND c.owner_id = :user_id AND c.pool_since IS NULL"
        ).columns(next_follow_up_on=Date, last_follow_up_at=UTCDateTime, created_at=UTCDateTime, updated_at=UTCDateTime)
        contacts_sql = text(
            "SELECT * FROM contacts WHERE customer_id = :customer_id AND archived_at IS NULL ORDER BY id"
        ).columns(birthday=Date)
        history_sql = text(
            "SELECT a.*, u.display_name FROM audit_entries a LEFT JOIN users u ON u.id = a.user_id"
            " WHERE a.record_type = 'customers' AND a.record_id = :customer_id ORDER BY a.id DESC LIMIT 100"
        ).columns(created_at=UTCDateTime)
        policy_sql = text("SELECT * FROM grade_policies WHERE grade = :grade AND archived_at IS NULL")
        timeline_sql = text(
            "SELECT f.id, f.kind, f.happened_at, f.summary, f.outcome, f.next_step, f.next_follow_up_on, f.user_id,"
            " u.display_name AS user_name, ct.name AS contact_name"
            " FROM follow_ups f JOIN users u ON u.id = f.user_id LEFT JOIN contacts ct ON ct.id = f.contact_id"
            " WHERE f.customer_id = :customer_id AND f.archived_at IS NULL"
            " ORDER BY f.happened_at DESC, f.id DESC LIMIT :limit"
        ).columns(happened_at=UTCDateTime, next_follow_up_on=Date)

        def sql():
            execute = self.db.session.execute
            customer = execute(customer_sql, params).one()
            return (
                customer,
                execute(contacts_sql, params).all(),
                execute(history_sql, params).all(),
                execute(policy_sql, {"grade": customer.intention_grade}).all(),
                execute(timeline_sql, params).all(),
            )

        def same(orm_result, rows):
            customer, contacts, history, panel = orm_result
            entries = [entry.id for entry in panel.entries]
            return (
                customer.id == rows[0].id
                and [contact.id for contact in contacts] == [row.id for row in rows[1]]
                and [item.id for item in history] == [row.id for row in rows[2]]
                and entries == [row.id for row in rows[4]][: len(entries)]
                and (panel.more_before is not None) == (len(rows[4]) > len(entries))
            )

        return orm, sql, same

    def my_day(self) -> None:
        from flask import url_for

        with self.app.test_request_context():
            url, later_url = url_for("home.index"), url_for("home.later")
        later_headers = {"HX-Request": "true", "HX-Target": "my-day-later"}
        for role in ("sales", "head"):
            self.request_figures(f"my_day.{role}.page", role, url, None, LIMITS["page_ms"])
            # The reminders the page loads after its first paint.
            self.request_figures(f"my_day.{role}.later", role, later_url, later_headers, LIMITS["page_ms"])
            orm_ms, sql_ms = self.query_figures(*self.my_day_queries(role))
            self.add(f"my_day.{role}.query.orm_median", orm_ms, "ms")
            self.add(f"my_day.{role}.query.sql_median", sql_ms, "ms")
            self.add(f"my_day.{role}.query.orm_over_sql", orm_ms / sql_ms, "ratio", LIMITS["page_orm_over_sql"])

    def my_day_queries(self, role: str):
        from portal.blueprints.followups.reminders import (
            BIRTHDAY_DAYS,
            LIST_LIMIT,
            due_follow_ups,
            team_workload,
            upcoming_birthdays,
        )
        from portal.rules.followups import birthday_window, company_today

        user = self.user(role)
        head = role == "head"

        def orm():
            today = company_today()
            due = due_follow_ups(user, today)
            workload = team_workload(user.department_id, today) if head else []
            return due, workload, upcoming_birthdays(user, today)

        scope_params: dict = {}
        scope = " AND ".join(_scope_sql(user, scope_params))
        listed = (
            "SELECT c.id, c.name, c.intention_grade, c.mobile, c.phone, c.last_follow_up_at, c.next_follow_up_on,"
            " u.display_name AS owner_name FROM customers c JOIN users u ON u.id = c.owner_id"
            f" WHERE {scope} AND c.archived_at IS NULL"
        )
        types = {"next_follow_up_on": Date, "last_follow_up_at": UTCDateTime}
        due_sql = text(f"{listed} AND c.next_follow_up_on = :today ORDER BY c.name, c.id LIMIT :limit").columns(**types)
        overdue_sql = text(
            f"{listed} AND c.next_follow_up_on < :today ORDER BY c.next_follow_up_on, c.id LIMIT :limit"
        ).columns(**types)
        counts_sql = text(
            "SELECT coalesce(sum(CASE WHEN c.next_follow_up_on = :today THEN 1 ELSE 0 END), 0),"
            " coalesce(sum(CASE WHEN c.next_follow_up_on < :today THEN 1 ELSE 0 END), 0)"
            f" FROM customers c WHERE {scope} AND c.archived_at IS NULL AND c.next_follow_up_on <= :today"
        )
        workload_sql = text(
            "SELECT u.display_name, coalesce(sum(CASE WHEN c.next_follow_up_on = :today THEN 1 ELSE 0 END), 0) AS due,"
            " coalesce(sum(CASE WHEN c.next_follow_up_on < :today THEN 1 ELSE 0 END), 0) AS overdue"
            " FROM users u LEFT JOIN customers c ON c.owner_id = u.id AND c.department_id = :department_id"
            " AND c.archived_at IS NULL AND c.next_follow_up_on <= :today"
            " WHERE u.department_id = :department_id AND u.active = true AND u.role IN ('sales', 'head')"
            " GROUP BY u.id, u.display_name ORDER BY overdue DESC, u.display_name"
        )
        birthdays_sql = (
            "SELECT ct.id, ct.name, ct.title, ct.birthday_md, c.id AS customer_id, c.name AS customer_name,"
            " count(*) OVER () AS total FROM contacts ct JOIN customers c ON c.id = ct.customer_id"
            f" WHERE {{window}} AND ct.archived_at IS NULL AND c.archived_at IS NULL AND {scope}"
            " ORDER BY CASE WHEN ct.birthday_md >= :start THEN 0 ELSE 1 END, ct.birthday_md, ct.name LIMIT :limit"
        )

        def sql():
            today = company_today()
            start, end = birthday_window(today, BIRTHDAY_DAYS)
            window = "ct.birthday_md BETWEEN :start AND :end" if start <= end else "(ct.birthday_md >= :start OR ct.birthday_md <= :end)"
            params = {**scope_params, "today": today, "limit": LIST_LIMIT, "start": start, "end": end,
                      "department_id": user.department_id}
            execute = self.db.session.execute
            return (
                execute(due_sql, params).all(),
                execute(overdue_sql, params).all(),
                execute(counts_sql, params).one(),
                execute(workload_sql, params).all() if head else [],
                execute(text(birthdays_sql.format(window=window)), params).all(),
            )

        def same(orm_result, rows):
            due, workload, birthdays = orm_result
            return (
                [customer.id for customer in due.due_today] == [row.id for row in rows[0]]
                and [customer.id for customer, _days in due.overdue] == [row.id for row in rows[1]]
                and (due.due_count, due.overdue_count) == tuple(rows[2])
                and [(row.label, row.due_today, row.overdue) for row in workload] == [tuple(row) for row in rows[3]]
                and [contact.id for contact, _days in birthdays.rows] == [row.id for row in rows[4]]
                and birthdays.total == (rows[4][0].total if rows[4] else 0)
            )

        return orm, sql, same


def _scope_sql(user, params: dict) -> list[str]:
    """The hand-written form of ``portal.access.scope_clause`` for customers."""
    if user.role == "sales":
        params["user_id"] = user.id
        return ["c.owner_id = :user_id", "c.pool_since IS NULL"]  # not what the pool took from them
    if user.role == "head":
        params["department_id"] = user.department_id
        return ["c.department_id = :department_id"]
    return []


def _quote_scenarios(bench) -> None:
    """The quote list (first page, filtered by status, filtered by amount and period) as htmx
    fragments and pages, as a salesperson and the administrator, and the page of one quote."""
    from flask import url_for
    from sqlalchemy import select

    from portal.models import Quote

    variants = {"first": {}, "lost": {"status": "lost"}, "expired": {"status": "expired"},
                "amount": {"min": "1000", "max": "20000", "from": "2026-01-01"}}
    rows = {"HX-Request": "true", "HX-Target": "quote-rows"}
    for role in ("sales", "admin"):
        for variant, args in variants.items():
            with bench.app.test_request_context():
                url = url_for("quotes.index", **args)
            name = f"quotes.{role}.{variant}"
            bench.request_figures(f"{name}.page", role, url, None, LIMITS["page_ms"])
            bench.request_figures(f"{name}.fragment", role, url, rows, LIMITS["fragment_ms"])
    user = bench.user("sales")
    with bench.app.app_context():
        quote_id = bench.db.session.scalar(
            select(Quote.id).where(Quote.owner_id == user.id).order_by(Quote.id.desc()).limit(1)
        )
    with bench.app.test_request_context():
        url = url_for("quotes.detail", quote_id=quote_id)
    bench.request_figures("quote_page.sales.page", "sales", url, None, LIMITS["page_ms"])


def _against_its_sql(bench, name: str, role: str, url: str, headers, markers: tuple[str, ...], limit_ms: float,
                     ratio_limit: float | None, scanned_table: str | None = None) -> None:
    """A page's (or fragment's) p95 against the time its statements that read ``markers`` take when
    sent straight to the database driver (the SQL alone, without ORM, figures or template); on
    SQLite, the plans of those statements are checked for a full scan of ``scanned_table``."""
    page = bench.request_figures(name, role, url, headers, limit_ms)
    with bench.statements.recording() as recorder:
        bench.get(role, url, headers)
    statements = [(sql, params) for sql, params in recorder.with_parameters if any(marker in sql for marker in markers)]
    with bench.app.app_context():
        connection = bench.db.engine.raw_connection()
        try:
            def run_sql():
                cursor = connection.cursor()
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()
                cursor.close()

            sql_ms = p95(timed(run_sql, bench.count("query")))
            scans = 0
            if scanned_table and bench.db.engine.dialect.name == "sqlite":
                cursor = connection.cursor()
                for sql, params in statements:
                    plan = " | ".join(str(row[-1]) for row in cursor.execute("EXPLAIN QUERY PLAN " + sql, params))
                    scans += f"SCAN {scanned_table}" in plan
                cursor.close()
        finally:
            connection.close()
    bench.add(f"{name}.sql_p95", sql_ms, "ms")
    bench.add(f"{name}.over_sql", page["p95"] / sql_ms, "ratio", ratio_limit)
    if scanned_table:
        bench.add(f"{name}.{scanned_table}_full_scans", scans, "statements", 0)


def _lost_analysis_scenario(bench) -> None:
    """The lost-order analysis of the quarter and of the year, for the head of the biggest
    department and for the administrator (all departments), against its aggregate statements;
    no statement scans the quote lines in full."""
    from flask import url_for

    for role in ("head", "admin"):
        for kind in ("quarter", "year"):
            with bench.app.test_request_context():
                # refresh=1: the figures computed every time, not the ones kept a few minutes.
                url = url_for("lost.analysis", kind=kind, refresh=1)
            _against_its_sql(bench, f"lost_analysis.{role}.{kind}.page", role, url, None, ("FROM lost_orders", "FROM quotes"),
                             LIMITS["analysis_ms"], LIMITS["analysis_over_sql"], "quote_lines")


def _contract_scenarios(bench) -> None:
    """The contract list as an htmx fragment with each row's payment status and the totals of the
    filter (first page, overdue, partly paid, signed this year) for a salesperson, the head and
    the administrator, against its own statements; the payments and deliveries lists; and the
    focus customer's page, whose purchase history sums its contracts."""
    from flask import url_for

    variants = {"first": {}, "overdue": {"payment": "overdue"}, "partly_paid": {"payment": "partly_paid"},
                "this_year": {"from": f"{date.today().year}-01-01"}}
    rows = {"HX-Request": "true", "HX-Target": "contract-rows"}
    for role in ("sales", "head", "admin"):
        for variant, args in variants.items():
            with bench.app.test_request_context():
                url = url_for("contracts.index", **args)
            # The list's own statements are reported beside it; a request's fixed cost (session,
            # template) outweighs them, so the target is the fragment's time, not a ratio.
            _against_its_sql(bench, f"contracts.{role}.{variant}.fragment", role, url, rows, ("FROM contracts",),
                             LIMITS["fragment_ms"], None)
    for endpoint, target in (("contracts.payments", "payment-rows"), ("contracts.deliveries", "delivery-rows")):
        with bench.app.test_request_context():
            url = url_for(endpoint)
        bench.request_figures(f"{endpoint}.admin.fragment", "admin", url, {"HX-Request": "true", "HX-Target": target}, LIMITS["fragment_ms"])
    with bench.app.test_request_context():
        url = url_for("customers.detail", customer_id=bench.facts["focus_customer_id"])
    bench.request_figures("contracts.customer_page.sales.page", "sales", url, None, LIMITS["page_ms"])


def _performance_scenarios(bench) -> None:
    """The team page of the biggest department's head and the whole company's performance sheet
    (page as HR, workbook as HR), each against its own aggregate statements sent straight to the
    driver; the workbook's time on its own target."""
    from flask import url_for

    markers = ("FROM customers", "FROM follow_ups", "FROM quotes", "FROM contracts", "FROM payments", "FROM sales_targets")
    with bench.app.test_request_context():
        team_url = url_for("performance.index", refresh=1)  # computed every time, not the kept figures
        sheet_url = url_for("performance.sheet")
        workbook_url = url_for("performance.sheet_export")
    _against_its_sql(bench, "performance.head.team.page", "head", team_url, None, markers,
                     LIMITS["analysis_ms"], LIMITS["analysis_over_sql"])
    _against_its_sql(bench, "performance.hr.sheet.page", "hr", sheet_url, None, markers,
                     LIMITS["analysis_ms"], LIMITS["analysis_over_sql"])
    bench.request_figures("performance.hr.sheet.xlsx", "hr", workbook_url, None, LIMITS["sheet_xlsx_ms"])


def _complaint_scenarios(bench) -> None:
    """The complaint list as an htmx fragment (first page, overdue only) for a salesperson, the head
    and the administrator, and the summary of the year for the head."""
    from flask import url_for

    rows = {"HX-Request": "true", "HX-Target": "complaint-rows"}
    for role in ("sales", "head", "admin"):
        for variant, args in {"first": {}, "overdue": {"overdue": "1"}}.items():
            with bench.app.test_request_context():
                url = url_for("complaints.index", **args)
            bench.request_figures(f"complaints.{role}.{variant}.fragment", role, url, rows, LIMITS["fragment_ms"])
    with bench.app.test_request_context():
        url = url_for("complaints.summary", kind="year")
    # A report over a period, like the lost-order analysis: the same target.
    bench.request_figures("complaints.head.summary.page", "head", url, None, LIMITS["analysis_ms"])


def _timed_nightly(bench, job) -> float:
    """Seconds a nightly command's work takes, flushed to the database and then rolled back, so the
    reused benchmark data stays as generated and every run measures the same work."""
    with bench.app.app_context():
        started = time.perf_counter()
        job()
        bench.db.session.flush()
        seconds = time.perf_counter() - started
        bench.db.session.rollback()
    return seconds


def _pool_scenarios(bench) -> None:
    """Recycling over every customer (the ``recycle-customers`` command's work, rolled back), the
    pool list fragment for a salesperson, the head and the administrator, and the administrator's
    archive page (the customers the generated data archived are among its rows)."""
    from flask import url_for

    from portal.blueprints.pool.compute import run_recycle
    from portal.database import utcnow

    bench.add("pool.command.recycle_customers.seconds", _timed_nightly(bench, lambda: run_recycle(utcnow())), "s",
              LIMITS["nightly_command_s"])
    rows = {"HX-Request": "true", "HX-Target": "pool-rows"}
    for role in ("sales", "head", "admin"):
        with bench.app.test_request_context():
            url = url_for("pool.index")
        bench.request_figures(f"pool.{role}.fragment", role, url, rows, LIMITS["fragment_ms"])
    # The administrator's archive page: the newest archived rows of every archivable table.
    with bench.app.test_request_context():
        url = url_for("admin.archived")
    bench.request_figures("admin.archived.page", "admin", url, None, LIMITS["page_ms"])


def _grading_scenarios(bench) -> None:
    """The two nightly commands over all customers (grading from the window's contracts, the churn
    check of every signed customer), each once on a copy-free run inside the app; then the grading
    page, a grade's customers, the churn list and the staffing page for the head and the administrator."""
    from flask import url_for

    from portal.blueprints.grading.compute import run_churn, run_grading
    from portal.rules.followups import company_today

    for name, job in (("grade_customers", run_grading), ("flag_churn", run_churn)):
        bench.add(f"grading.command.{name}.seconds", _timed_nightly(bench, lambda: job(company_today())), "s",
                  LIMITS["nightly_command_s"])
    # The pages read what the commands write: keep one run of each.
    with bench.app.app_context():
        run_grading(company_today())
        run_churn(company_today())
        bench.db.session.commit()
    for role in ("head", "admin"):
        for name, endpoint, args in (("page", "grading.index", {}), ("grade_bb", "grading.customers", {"grade": "BB"}),
                                     ("churn", "grading.churn", {})):
            with bench.app.test_request_context():
                url = url_for(endpoint, **args)
            bench.request_figures(f"grading.{role}.{name}.page", role, url, None, LIMITS["grading_page_ms"])
        # The staffing page counts the graded customers in hand by salesperson and grade.
        with bench.app.test_request_context():
            url = url_for("grading.staffing")
        bench.request_figures(f"grading.{role}.staffing.page", role, url, None, LIMITS["page_ms"])


IMPORT_ROWS = 10_000


def _import_workbook(rows: int) -> bytes:
    """A filled template of ``rows`` new customers (names and phones unlike the generated ones)."""
    from openpyxl import Workbook

    from portal.rules.imports import CUSTOMER_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append([header for header, _key, _required in CUSTOMER_COLUMNS])
    for number in range(rows):
        sheet.append([f"导入测试客户{number:05d}", None, None, "上海", f"徐汇区测试路{number}号", None, f"199{number:08d}", None, None,
                      "潜在", "C", None, "批量导入"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def faster_of_alternating(first, second, runs: int = 2):
    """The smaller result of each of two timings run ``runs`` times, alternating: a single cold run
    of either measured the disk cache and the machine's other work as much as the code."""
    firsts, seconds = [], []
    for _ in range(runs):
        firsts.append(first())
        seconds.append(second())
    return min(firsts), min(seconds)


def _import_scenario(bench) -> None:
    """Importing 10,000 customers as a salesperson — the background check (parsing, row checks,
    duplicate matching against every customer) and the write (one transaction) — against reading
    the same file with openpyxl and one executemany insert of the same rows (their search text
    included, made before the clock starts: the table's search-index trigger indexes it for both).
    Both roll back their rows, so the reused data stays as generated."""
    from openpyxl import load_workbook
    from sqlalchemy import select

    from portal.blueprints.customers.imports import check_import, write_rows
    from portal.database import utcnow
    from portal.models import Customer, ImportJob, User

    from types import SimpleNamespace

    from portal.rules.customers import search_text_for, text_grams

    data = _import_workbook(IMPORT_ROWS)
    sales = bench.user("sales")
    search_texts = {}  # name -> (search text, its grams), as the imported customer will have them
    for row in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(min_row=2, values_only=True):
        search_text = search_text_for(SimpleNamespace(name=row[0], phone_key="", mobile_key=row[6], email="", wechat="", contacts=[]))
        search_texts[row[0]] = (search_text, text_grams(search_text))

    def ours():
        with bench.app.app_context(), bench.app.test_request_context():
            job = ImportJob(user_id=sales.id, stored_file="bench.xlsx", status="checking")
            bench.db.session.add(job)
            bench.db.session.commit()
            checked = check_import(job.id, data, sales.id, "zh_CN", 30 * 1024 * 1024)
            write_rows(checked, {}, sales.id)
            bench.db.session.flush()
            bench.db.session.rollback()
            return len(checked["customers"])

    def bare():
        with bench.app.app_context():
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = list(book.active.iter_rows(min_row=2, values_only=True))
            book.close()
            now = utcnow()
            owner = bench.db.session.get(User, sales.id)
            bench.db.session.execute(Customer.__table__.insert(), [
                {"name": row[0], "name_key": row[0], "region": row[3], "address": row[4], "mobile": row[6], "phone": "",
                 "phone_key": "", "mobile_key": row[6], "email": "", "wechat": "", "stage": "potential", "intention_grade": row[10],
                 "owner_id": owner.id, "department_id": owner.department_id, "notes": row[12], "search_text": search_texts[row[0]][0],
                 "search_grams": search_texts[row[0]][1], "locked": False, "version": 1, "created_at": now, "updated_at": now}
                for row in rows
            ])
            bench.db.session.flush()
            bench.db.session.rollback()
            return len(rows)

    def timed(run):
        started = time.perf_counter()
        count = run()
        return (time.perf_counter() - started) * 1000, count

    (ours_ms, imported), (bare_ms, _rows) = faster_of_alternating(lambda: timed(ours), lambda: timed(bare))
    bench.add("import.customers.rows", imported, "rows")
    bench.add("import.customers.ms", ours_ms, "ms")
    bench.add("import.customers.bare.ms", bare_ms, "ms")
    bench.add("import.customers.over_bare", ours_ms / bare_ms, "ratio", LIMITS["import_over_bare"])
    with bench.app.app_context():
        leftover = bench.db.session.scalar(select(Customer.id).where(Customer.name.like("导入测试客户%")).limit(1))
    assert leftover is None, "the import benchmark must leave the data as generated"


def _search_scenario(bench) -> None:
    """The header's search box as one types (the htmx fragment under the box) for the administrator,
    who sees every record, and a salesperson: a contract by its sequence alone (each year probed),
    a quote by its full number, four digits of a phone, a customer's name word and a miss."""
    from flask import url_for

    from portal.models import Contract, Quote

    with bench.app.app_context():
        session = bench.db.session
        sales_id = bench.user("sales").id
        quote_number = session.scalar(select(Quote.number).where(Quote.owner_id == sales_id).order_by(Quote.id.desc()).limit(1))
        contract_sequence = session.scalar(select(Contract.sequence).where(Contract.owner_id == sales_id).order_by(Contract.id.desc()).limit(1))
        session.remove()
    queries = {
        "contract_sequence": f"{contract_sequence or 4:04d}",
        "quote_number": quote_number or "BJ2026-0004",
        "phone_digits": "5678",
        "name": bench.facts["search_term"],
        "miss": "无此客户",
    }
    headers = {"HX-Request": "true", "HX-Target": "quicksearch-results"}
    for role in ("admin", "sales"):
        for variant, q in queries.items():
            with bench.app.test_request_context():
                url = url_for("search.index", q=q)
            bench.request_figures(f"search.{role}.{variant}.fragment", role, url, headers, LIMITS["search_box_ms"])


def _export_scenario(bench) -> None:
    """The administrator's export of every customer (the list's route, its keyset pages walked to
    the end) against a bare script reading the same rows with one query and writing them with
    openpyxl's write-only mode: time and peak traced memory (tracemalloc; the run that measures
    memory is not the one timed)."""
    import tracemalloc

    from openpyxl import Workbook
    from sqlalchemy import text as sql_text

    query = sql_text(
        "SELECT c.name, c.customer_type_id, c.stage, c.intention_grade, u.display_name, c.region, c.phone, c.mobile,"
        " c.next_follow_up_on FROM customers c JOIN users u ON u.id = c.owner_id WHERE c.archived_at IS NULL ORDER BY c.id DESC"
    ).columns(next_follow_up_on=Date)  # the same values: the next follow-up is a date, not its text
    row_count = [0]

    def bare():
        """What a script would do: read the rows with one query, write them with openpyxl."""
        with bench.app.app_context():
            rows = bench.db.session.execute(query).all()
            row_count[0] = len(rows)
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("customers")
            for row in rows:
                sheet.append(list(row))
            workbook.save(io.BytesIO())
            bench.db.session.remove()

    def export():
        response = bench.get("admin", "/customers/export")
        return len(response.data)

    def timed_once(run):
        started = time.perf_counter()
        run()
        return (time.perf_counter() - started) * 1000

    def peak_mb(run):
        gc.collect()
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 1e6

    export_ms, bare_ms = faster_of_alternating(lambda: timed_once(export), lambda: timed_once(bare))
    bench.add("export.customers.admin.rows", row_count[0], "rows")
    bench.add("export.customers.admin.ms", export_ms, "ms")
    bench.add("export.customers.bare_openpyxl.ms", bare_ms, "ms")
    bench.add("export.customers.over_bare", export_ms / bare_ms, "ratio", LIMITS["export_over_bare"])
    export_peak, bare_peak = peak_mb(export), peak_mb(bare)
    bench.add("export.customers.admin.peak_mb", export_peak, "MB")
    bench.add("export.customers.bare_openpyxl.peak_mb", bare_peak, "MB")
    bench.add("export.customers.extra_peak_mb", export_peak - bare_peak, "MB", LIMITS["export_extra_peak_mb"])


ACCESS_LOG_ROWS = 1_000_000


def _fill_access_log(bench, wanted: int = ACCESS_LOG_ROWS) -> None:
    """Bring the access log to ``wanted`` rows, once: customer page views and a few exports of every
    user, spread over the last 365 days (deterministic), kept for later runs like the generated data."""
    import random
    from datetime import timedelta

    from sqlalchemy import func, insert

    from portal.database import utcnow
    from portal.models import AccessLogEntry, User
    from portal.rules.followups import company_today

    with bench.app.app_context():
        session = bench.db.session
        have = session.scalar(select(func.count()).select_from(AccessLogEntry))
        if have >= wanted:
            return
        users = session.execute(select(User.id, User.department_id)).all()
        today = company_today()
        rng = random.Random(31)
        now = utcnow()
        batch = []
        for number in range(have, wanted):
            user_id, department_id = users[number % len(users)]
            days_ago = rng.randrange(365)
            export = number % 50 == 0
            batch.append({
                "created_at": now - timedelta(days=days_ago, seconds=rng.randrange(86400)), "day": today - timedelta(days=days_ago),
                "user_id": user_id, "department_id": department_id, "kind": "export" if export else "customer",
                "target": "/customers/export" if export else f"/customers/{number % 100000 + 1}",
                "record_id": None if export else number % 100000 + 1, "filters": "", "row_count": 200 if export else None,
                "address": "10.0.0.1",
            })
            if len(batch) == 10_000:
                session.execute(insert(AccessLogEntry), batch)
                batch = []
        if batch:
            session.execute(insert(AccessLogEntry), batch)
        session.commit()
        session.execute(text("ANALYZE access_log"))
        session.commit()


def _access_log_scenario(bench) -> None:
    """What logging costs a customer page, against 0.3 ms: its ``record_access`` (the row kept in
    the worker's buffer) plus its share of the write that puts the buffer in the table (one INSERT
    of ``FLUSH_ROWS`` rows on a connection of its own and its commit, as the background writer
    does once that many wait) — each sample one round of ``FLUSH_ROWS`` views and their write,
    divided by ``FLUSH_ROWS``. Beside it, not against the target: the request path alone (what the
    page waits for) and a lone view written alone (a quiet time, by the writer after the page has
    answered). The rows are removed afterwards. Then the log's daily list (the htmx fragment of
    today, and of one person's day) as the biggest department's head and the administrator, over
    1,000,000 log rows, against 100 ms at p95."""
    from flask import url_for
    from sqlalchemy import delete, func

    from portal.access_log import FLUSH_ROWS, AccessLogBuffer, record_access
    from portal.models import AccessLogEntry

    _fill_access_log(bench)
    sales = bench.user("sales")
    rounds = bench.count("request")
    with bench.app.test_request_context("/customers/1"):
        session = bench.db.session
        before = session.scalar(select(func.max(AccessLogEntry.id))) or 0
        session.commit()
        # A buffer without the background writer: each round writes its own rows, on this clock.
        running = bench.app.extensions.get("access_log_buffer")
        buffer = bench.app.extensions["access_log_buffer"] = AccessLogBuffer(bench.db.engine, 0)

        def view() -> float:
            started = time.perf_counter()
            record_access("customer", target="/customers/1", record_id=1, user=sales)
            return (time.perf_counter() - started) * 1000

        def write() -> float:
            started = time.perf_counter()
            assert buffer.flush(raise_errors=True)
            return (time.perf_counter() - started) * 1000

        try:
            for _ in range(WARMUP):
                view()
                write()
            gc.collect()
            request_path, shared, lone = [], [], []
            for _ in range(rounds):
                views = [view() for _ in range(FLUSH_ROWS)]
                request_path += views
                shared.append((sum(views) + write()) / FLUSH_ROWS)
            for _ in range(rounds):
                lone.append(view() + write())
        finally:
            buffer.close()
            if running is None:
                bench.app.extensions.pop("access_log_buffer", None)
            else:
                bench.app.extensions["access_log_buffer"] = running
        session.execute(delete(AccessLogEntry).where(AccessLogEntry.id > before))
        session.commit()
    bench.add("access_log.record.median", statistics.median(shared), "ms", LIMITS["access_log_record_ms"])
    bench.add("access_log.record.p95", p95(shared), "ms")
    bench.add("access_log.record.request_path.median", statistics.median(request_path), "ms")
    bench.add("access_log.record.request_path.p95", p95(request_path), "ms")
    bench.add("access_log.record.lone_view.median", statistics.median(lone), "ms")
    rows = {"HX-Request": "true", "HX-Target": "access-log-rows"}
    for role in ("head", "admin"):
        with bench.app.test_request_context():
            day_url = url_for("access_log.index")
            person_url = url_for("access_log.index", user=sales.id)
        bench.request_figures(f"access_log.{role}.day.fragment", role, day_url, rows, LIMITS["access_log_list_ms"])
        bench.request_figures(f"access_log.{role}.person.fragment", role, person_url, rows, LIMITS["access_log_list_ms"])


SCENARIOS = ("customer_list", "customer_page", "my_day", "quotes", "lost_analysis", "contracts", "performance", "complaints",
             "grading", "pool", "imports", "export", "search", "access_log")


def measure(url: str, facts: dict, instance_path: str, repeat: int | None = None, only: list[str] | None = None) -> list[dict]:
    """Every figure of one run, or of the ``only`` scenarios (without size and database, which the runner adds)."""
    bench = Bench(url, facts, repeat, instance_path)
    for scenario in (getattr(bench, name) for name in SCENARIOS if not only or name in only):
        started = time.perf_counter()
        scenario()
        print(f"  {scenario.__name__}: {time.perf_counter() - started:.0f} s", flush=True)
    return bench.results

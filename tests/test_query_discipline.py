"""Query discipline of the busiest pages: the customer list, the customer page and My day; and of
pages that show a few rows of large tables (the archive page, staffing).

- The number of SQL statements a page runs does not grow with its rows (no N+1): each page is
  counted with 3 and with 30 customers, contacts and follow-ups.
- On SQLite, every statement that reads customers or follow-ups uses an index: EXPLAIN QUERY
  PLAN shows SEARCH / USING INDEX, never a bare full-table SCAN.
"""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from conftest import login_as
from portal.blueprints.followups.panel import FIRST_PAGE
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contact, Customer, FollowUp, FollowUpKind, Role, Stage
from portal.rules.customers import refresh_keys
from portal.rules.followups import company_today, ensure_default_grade_policies

SMALL, LARGE = 3, 30
ROWS = {"HX-Request": "true", "HX-Target": "customer-rows"}
LATER = {"HX-Request": "true", "HX-Target": "my-day-later"}
PANELS = {"HX-Request": "true", "HX-Target": "customer-panels"}
HISTORY = {"HX-Request": "true", "HX-Target": "history"}
SCANNED_TABLES = ("customers", "follow_ups")


class Recorder:
    """The statements (with parameters) sent to the database while recording."""

    def __init__(self):
        self.statements: list[tuple[str, object]] = []

    def __call__(self, _conn, _cursor, statement, parameters, _context, _executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self)


@pytest.fixture(autouse=True)
def _figures_read_every_time(app, monkeypatch):
    """What is checked here is the statements that compute a page: nothing kept from the request before."""
    monkeypatch.setitem(app.config, "FIGURES_CACHE_SECONDS", 0)


@pytest.fixture
def world(make_department, make_user):
    department = make_department("水果部")
    ensure_default_grade_policies()
    db.session.commit()
    return {
        "sales": make_user(Role.SALES, department, display_name="刘洋"),
        "head": make_user(Role.HEAD, department, display_name="张伟"),
        "admin": make_user(Role.ADMIN, display_name="管理员"),
        "customers": [],
        "colleagues": [],
        "new_colleague": lambda: make_user(Role.SALES, department),
    }


def grow(world, size: int) -> None:
    """Bring the world to ``size`` of everything a page lists: customers due today and overdue
    (half each; every other one owned by a colleague of its own, so a per-row owner lookup would
    show), contacts with a birthday today, and ``size`` contacts and follow-ups (by as many
    authors) on the first customer."""
    today = company_today()
    customers, colleagues = world["customers"], world["colleagues"]
    while len(customers) < size:
        number = len(customers)
        owner = world["sales"]
        if number % 2:
            owner = world["new_colleague"]()
            colleagues.append(owner)
        customer = Customer(
            name=f"上海鲜果{number}贸易有限公司",
            owner_id=owner.id,
            department_id=owner.department_id,
            stage=Stage.INTENDED.value,
            intention_grade="A",
            next_follow_up_on=today - timedelta(days=number % 2 * (number + 1)),
            mobile=f"138{number:08d}",
        )
        customer.contacts.append(_contact(f"联系人{number}", today))
        refresh_keys(customer)
        db.session.add(customer)
        customers.append(customer)
    db.session.flush()
    focus = customers[0]
    while len(focus.contacts) < size:
        focus.contacts.append(_contact(f"张{len(focus.contacts)}", today))
    db.session.flush()
    existing = db.session.scalar(select(func.count()).where(FollowUp.customer_id == focus.id))
    for number in range(existing, size):
        db.session.add(
            FollowUp(
                customer_id=focus.id,
                user_id=colleagues[number % len(colleagues)].id,
                contact_id=focus.contacts[number % len(focus.contacts)].id,
                kind=FollowUpKind.CALL_OUT.value,
                happened_at=utcnow() - timedelta(hours=number + 1),
                summary=f"第{number}次电话沟通报价",
            )
        )
    db.session.commit()


def _contact(name: str, today: date) -> Contact:
    birthday = date(1985, today.month, today.day) if (today.month, today.day) != (2, 29) else date(1984, 2, 29)
    return Contact(name=name, birthday=birthday, birthday_md=today.month * 100 + today.day)


# (id, role, url, headers) of every page checked; {focus} is the customer with the most rows.
PAGES = [
    ("list-sales-page", "sales", "/customers/", {}),
    ("list-sales-rows", "sales", "/customers/", ROWS),
    ("list-sales-search", "sales", "/customers/?q=鲜果&stage=intended&grade=A", ROWS),
    ("list-head-page", "head", "/customers/", {}),
    ("list-admin-rows", "admin", "/customers/", ROWS),
    ("customer-sales", "sales", "/customers/{focus}", {}),
    ("customer-head", "head", "/customers/{focus}", {}),
    # What the customer page loads once shown: the other areas' panels, the history, the timeline.
    ("customer-panels-sales", "sales", "/customers/{focus}/panels", PANELS),
    ("customer-panels-head", "head", "/customers/{focus}/panels", PANELS),
    ("customer-history-sales", "sales", "/history/customers/{focus}", HISTORY),
    ("follow-ups-sales", "sales", "/customers/{focus}/follow-ups", {}),
    ("my-day-sales", "sales", "/", {}),
    ("my-day-head", "head", "/", {}),
    # My day's first part (a salesperson's follow-ups due) and what it loads after (workload,
    # birthdays, quotes…; a head's department follow-ups due); the administrator's follow-up
    # figures are all in the later part.
    ("my-day-sales-later", "sales", "/my-day/later", LATER),
    ("my-day-head-later", "head", "/my-day/later", LATER),
    ("my-day-admin-later", "admin", "/my-day/later", LATER),
]


def _statements(client, world, role, url, headers) -> list[tuple[str, object]]:
    """The statements of one warm request (the first request of a test also checks for users)."""
    login_as(client, world[role])
    url = url.format(focus=world["customers"][0].id)
    client.get(url, headers=headers)
    with Recorder() as recorder:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (role, url)
    return recorder.statements


def _counts(client, world) -> dict[str, int]:
    return {page: len(_statements(client, world, role, url, headers)) for page, role, url, headers in PAGES}


def test_statement_counts_do_not_grow_with_rows(client, world):
    grow(world, SMALL)
    small = _counts(client, world)
    grow(world, LARGE)
    # The larger world really shows more rows: the customer page's first FIRST_PAGE follow-ups
    # (then the link to the older ones), all 30 on the follow-up page.
    login_as(client, world["sales"])
    focus = world["customers"][0].id
    page = client.get(f"/customers/{focus}").get_data(as_text=True)
    assert page.count("次电话沟通报价") == FIRST_PAGE < LARGE and 'id="follow-up-more"' in page
    assert client.get(f"/customers/{focus}/follow-ups").get_data(as_text=True).count("次电话沟通报价") == LARGE
    large = _counts(client, world)
    grown = {page: f"{small[page]} -> {large[page]} statements" for page in small if large[page] != small[page]}
    assert grown == {}


def test_page_two_of_the_list_costs_what_page_one_does(client, world):
    grow(world, LARGE)
    login_as(client, world["admin"])
    first = _statements(client, world, "admin", "/customers/", ROWS)
    body = client.get("/customers/", headers=ROWS).get_data(as_text=True)
    next_url = re.search(r'href="([^"]*after=[^"]*)"', body).group(1).replace("&amp;", "&")
    second = _statements(client, world, "admin", next_url, ROWS)
    assert len(second) == len(first)
    assert [_offset(sql, parameters) for sql, parameters in second if "FROM customers" in sql] == [0]


def _offset(sql: str, parameters) -> int:
    """The OFFSET a statement skips (SQLite's dialect writes ``OFFSET ?`` even for 0)."""
    if "OFFSET" not in sql:
        return 0
    if isinstance(parameters, dict):
        return next((value for key, value in parameters.items() if "offset" in key), 0)
    return parameters[-1]


def _full_scans(statement: str, parameters) -> list[str]:
    """The plan lines of ``statement`` that read customers or follow-ups without an index."""
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    # A walk down the primary key that stops after one page (ORDER BY id DESC LIMIT) is a keyset page.
    keyset = re.search(r"ORDER BY customers\.id DESC\s+LIMIT", statement)
    scans = []
    for *_ids, detail in plan:
        words = detail.split()
        if words[0] == "SCAN" and words[1].startswith(SCANNED_TABLES) and "USING" not in detail:
            if not (keyset and words[1] == "customers"):
                scans.append(detail)
    return scans


# A head's My day opens with the department's month and alerts only: it reads no customers.
INDEXED_PAGES = [page for page in PAGES if page[0] != "my-day-head"]


@pytest.mark.parametrize(("role", "url", "headers"), [page[1:] for page in INDEXED_PAGES], ids=[page[0] for page in INDEXED_PAGES])
def test_customer_and_follow_up_reads_use_indexes(client, world, role, url, headers):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on its statistics")
    grow(world, LARGE)
    reads = [
        (sql, parameters)
        for sql, parameters in _statements(client, world, role, url, headers)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and re.search(r"\b(customers|follow_ups)\b", sql)
    ]
    assert reads, (role, url)
    for sql, parameters in reads:
        assert _full_scans(sql, parameters) == [], (role, url, sql)


def _plan(statement: str, parameters) -> str:
    return " / ".join(row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))


def test_a_salespersons_birthdays_and_pool_warning_can_read_the_customers_in_hand_index(client, world):
    """Both check every customer the salesperson has in hand: the partial index of exactly those
    (not in the pool, not archived), with what the pool rules test, must be able to answer them —
    which SQLite chooses with the statistics of the data (at large it does: 7 → 2 ms and
    3.3 → 0.5 ms). Forcing the index shows its conditions are implied by the statements': SQLite
    refuses an INDEXED BY it cannot use."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's")
    grow(world, LARGE)
    statements = _statements(client, world, "sales", "/my-day/later", LATER)
    birthdays = [sql for sql, _parameters in statements if "contacts.birthday_md" in sql and "JOIN customers ON" in sql]
    pool = [sql for sql, _parameters in statements if "customers.owned_since" in sql and "customers.locked" in sql]
    assert len(birthdays) == 1 and len(pool) == 1
    forced = [
        (birthdays[0].replace("JOIN customers ON", "JOIN customers INDEXED BY ix_customers_owner_in_hand ON"), birthdays[0]),
        (pool[0].replace("FROM customers", "FROM customers INDEXED BY ix_customers_owner_in_hand", 1), pool[0]),
    ]
    parameters = {sql: parameters for sql, parameters in statements}
    for forced_sql, sql in forced:
        assert "INDEXED BY" in forced_sql
        assert "USING INDEX ix_customers_owner_in_hand" in _plan(forced_sql, parameters[sql]), sql


def test_the_archive_page_reads_each_tables_archived_rows_from_their_own_index(client, world):
    """The administrator's archive page asks every archivable table for its newest archived rows: a
    few rows of tables of up to a million (follow-ups), which it scanned whole (246 ms on the large
    data set). SQLite answers each from that table's index of archived rows only, even without
    statistics."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    grow(world, SMALL)
    world["customers"][-1].archived_at = utcnow()
    db.session.commit()
    statements = _statements(client, world, "admin", "/admin/archived", {})
    archived = [(sql, parameters) for sql, parameters in statements if re.search(r"\.archived_at IS NOT NULL", sql)]
    tables = {re.search(r"\bFROM (\w+)", sql).group(1) for sql, _parameters in archived}
    assert {"customers", "follow_ups", "quote_lines", "payments"} <= tables
    for sql, parameters in archived:
        table = re.search(r"\bFROM (\w+)", sql).group(1)
        assert f"USING INDEX ix_{table}_archived" in _plan(sql, parameters), sql


@pytest.mark.parametrize("role", ["head", "admin"])
def test_staffing_counts_the_customers_in_hand_from_their_grades_index(client, world, role):
    """The staffing page counts the department's (the administrator: the company's) customers in
    hand by salesperson and grade: the index of their department, grade, owner and stage (and archiving) answers
    it without reading a customer row (195 → 3 ms for a head on the large data set)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN and INDEXED BY are SQLite's")
    grow(world, SMALL)
    statements = _statements(client, world, role, "/grading/staffing", {})
    counts = [(sql, parameters) for sql, parameters in statements
              if "FROM customers" in sql and "GROUP BY customers.owner_id" in sql]
    assert len(counts) == 1
    sql, parameters = counts[0]
    forced = sql.replace("FROM customers", "FROM customers INDEXED BY ix_customers_department_grades", 1)
    assert "COVERING INDEX ix_customers_department_grades" in _plan(forced, parameters), _plan(forced, parameters)

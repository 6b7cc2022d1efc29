"""The demo company of ``flask seed-demo``: its history ends today, so every page a role lands on
shows figures of this period before anyone has typed anything."""
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from conftest import login_as
from portal.company_settings import company_details
from portal.extensions import db
from portal.models import Instalment, LostOrder, Payment, Quote, User
from portal.rules.followups import company_today


class _Rows(HTMLParser):
    """The text of every table cell, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(page: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(page)
    return parser.rows


def _row(page: str, label: str) -> list[str]:
    """The first table row headed ``label``."""
    return next(row for row in _rows(page) if row and row[0] == label)


def _number(text: str) -> Decimal:
    """The first number of a cell ("12,345.00", "3 / 4", "25.0 %"); "—" reads as 0."""
    found = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    return Decimal(found.group().replace(",", "")) if found else Decimal(0)


def _page(client, user: User, url: str) -> str:
    login_as(client, user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture
def demo(app):
    """The demo company, seeded through the command, with every account reading English."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo-pass-1"])
    assert result.exit_code == 0, result.output
    accounts = {user.username: user for user in db.session.scalars(select(User))}
    for user in accounts.values():
        user.language = "en"
    db.session.commit()
    return accounts


def test_every_landing_page_shows_figures_of_this_period(client, demo):
    head, admin, hr = demo["zhang.wei"], demo["admin"], demo["hr.wang"]
    # The lost-order analysis opens on this month.
    for user in (head, demo["li.na"], admin):
        page = _page(client, user, "/lost/analysis")
        assert _number(_row(page, "Lost orders")[1]) > 0, user.username
        assert _number(_row(page, "Amount lost")[1]) > 0
    # A head's team performance: deals, decisions and money collected this month.
    page = _page(client, head, "/performance/")
    assert "Team performance" in page
    for label in ("Deal amount", "Contracts", "Collected", "Follow-ups", "Target"):
        assert _number(_row(page, label)[1]) > 0, label
    won, lost = (_number(part) for part in _row(page, "Quotes won / lost")[1].split("/"))
    assert won + lost > 0
    # HR's sheet: each department's totals row has deals and collections.
    page = _page(client, hr, "/performance/sheet")
    headers = next(row for row in _rows(page) if row and row[0] == "Salesperson")
    for department in ("水果部", "蔬菜部"):
        table = page[page.index(f"<h2>{department}</h2>"):]
        totals = next(row for row in _rows(table) if row and row[0] == "Total")
        for label in ("Deal amount", "Collected", "Won"):
            assert _number(totals[headers.index(label)]) > 0, (department, label)
    # Grading: every value grade has customers; the churn list names some.
    page = _page(client, admin, "/grading/")
    assert all(_number(_row(page, grade)[1]) > 0 for grade in ("AA", "AB", "BA", "BB"))
    page = _page(client, admin, "/churn/")
    assert len(re.findall(r'href="/customers/\d+"', page)) >= 3


def test_every_salesperson_has_something_due_on_my_day(client, demo):
    for user in demo.values():
        if user.role != "sales":
            continue
        page = _page(client, user, "/")
        assert "Nothing is due today." not in page, user.username
        assert "Follow-ups due" in page and re.search(r'href="/customers/\d+"', page), user.username


def test_history_runs_through_this_week(demo):
    today = company_today()
    first = today.replace(year=today.year - 1, day=1)
    week_start = today - timedelta(days=min(today.weekday(), today.day - 1))
    month = func.substr(func.cast(Quote.decided_on, db.String), 1, 7)
    decided = dict(db.session.execute(select(month, func.count()).where(Quote.decided_on.is_not(None)).group_by(month)).all())
    day, months = first, []
    while day <= today:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    assert len(months) == 13 and all(decided.get(key) for key in months), decided
    assert db.session.scalar(select(func.max(Quote.decided_on))) <= today
    for status in ("won", "lost"):
        assert db.session.scalar(select(func.count()).where(Quote.status == status, Quote.decided_on >= week_start)) > 0
    assert db.session.scalar(select(func.count()).select_from(LostOrder).where(LostOrder.lost_on >= week_start)) > 0
    assert db.session.scalar(select(func.max(Payment.received_on))) <= today
    # Instalments falling due this week and some past due, still open.
    assert db.session.scalar(select(func.count()).select_from(Instalment).where(
        Instalment.due_on.between(today, today + timedelta(days=7)))) > 0
    details = company_details()
    assert all(details[key] for key in ("name", "address", "phone", "tax_number", "bank"))


def test_the_demo_is_the_same_for_the_same_day(app, demo):
    def fingerprint():
        return db.session.execute(
            select(Quote.number, Quote.status, Quote.decided_on, Quote.amount_gross).order_by(Quote.number)).all()

    first = fingerprint()
    from conftest import _empty_tables

    db.session.remove()
    _empty_tables()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo-pass-1"])
    assert result.exit_code == 0, result.output
    assert fingerprint() == first

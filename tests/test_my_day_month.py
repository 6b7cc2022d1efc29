"""My day's first lines: the month so far (deal amount against target, close rate, open quotes, money
due this week) of a salesperson or a head's department, read in one statement; and sections with
nothing due folded into one line."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from conftest import login_as
from contracts_factories import make_contract
from my_day_page import my_day_page
from followups_factories import make_customer, make_team
from portal.extensions import db
from portal.models import SalesTarget
from portal.rules.followups import company_today
from portal.rules.periods import month_period, week_period
from quotes_factories import make_quote

APPLES = (("苹果", "10", "100.00"),)  # 1,000.00 net, 1,130.00 with 13 % tax
ONE_BOX = (("苹果", "1", "100.00", "0"),)  # 113.00 with tax


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _my_day(client, user) -> str:
    login_as(client, user)
    return my_day_page(client)


def _strip(body: str) -> str:
    start = body.index('class="card month-strip"')
    return body[start:body.index("</section>", start)]


def _figure(strip: str, label: str) -> str:
    """The text of the figure under ``label`` (its <dd>)."""
    start = strip.index(f"<dt>{label}</dt>")
    return " ".join(strip[start:strip.index("</dd>", start)].split())


def _target(user, amount: str, day=None) -> None:
    day = day or company_today()
    db.session.add(SalesTarget(user_id=user.id, year=day.year, month=day.month, amount=Decimal(amount)))
    db.session.commit()


def _month_of_records(team) -> None:
    """刘洋's month: one deal of 1,130.00 (a cancelled one and last month's do not count), won 1 of
    4 decided quotes, two open quotes (113.00 + 226.00), 300.00 open of an instalment due this week;
    陈静 (same department) a deal of 1,130.00; 赵敏 (another department) a deal of 1,130.00."""
    today = company_today()
    last_month = month_period(today).start - timedelta(days=1)
    customer = make_customer(team["sales"], "华联超市")
    make_contract(customer, APPLES, signed_on=today)
    make_contract(customer, APPLES, signed_on=today, status="cancelled")
    make_contract(customer, (("苹果", "100", "100.00"),), signed_on=last_month,
                  plan=[(today, "500.00"), (week_period(today).end + timedelta(days=1), "630.00")],
                  payments=[(last_month, "200.00")])
    make_quote(customer, ONE_BOX, status="won", decided_on=today)
    for _ in range(3):
        make_quote(customer, ONE_BOX, status="lost", decided_on=today)
    make_quote(customer, ONE_BOX, status="lost", decided_on=last_month, quote_date=last_month)
    make_quote(customer, ONE_BOX, status="draft")
    make_quote(customer, (("苹果", "2", "100.00", "0"),), status="sent")
    make_quote(customer, ONE_BOX, status="sent", quote_date=today - timedelta(days=40))  # expired
    make_contract(make_customer(team["colleague"], "同事的客户"), APPLES, signed_on=today)
    make_contract(make_customer(team["outsider"], "外部门客户"), APPLES, signed_on=today)
    _target(team["sales"], "2260.00")
    _target(team["sales"], "9999.00", last_month)
    _target(team["outsider"], "5000.00")


def test_salesperson_sees_their_month_first(client, team):
    _month_of_records(team)
    body = _my_day(client, team["sales"])
    strip = _strip(body)
    assert body.index("month-strip") < body.index('class="card reminder-section"')
    assert "My month" in strip
    deal = _figure(strip, "Deal amount")
    assert "1,130.00" in deal and "2,260.00" in deal and "50.0 %" in deal and '<progress max="100" value="50.0"' in deal
    assert _figure(strip, "Close rate").endswith("25.0 %")
    assert _figure(strip, "Open quotes").endswith("2 · 339.00")
    assert _figure(strip, "Due this week").endswith("300.00")


def test_head_sees_the_departments_month(client, team):
    _month_of_records(team)
    strip = _strip(_my_day(client, team["head"]))
    assert "My department this month" in strip
    deal = _figure(strip, "Deal amount")
    # 刘洋's and 陈静's deals, not 赵敏's of the other department; the department's targets.
    assert "<strong>2,260.00</strong> / 2,260.00" in deal and "100.0 %" in deal


def test_month_without_target_or_decisions_shows_dashes_not_zero_rates(client, team):
    strip = _strip(_my_day(client, team["sales"]))
    assert "no target set" in _figure(strip, "Deal amount") and "<progress" not in strip
    assert _figure(strip, "Close rate").endswith("—")
    assert _figure(strip, "Open quotes").endswith("0 · 0.00")


def test_attainment_above_target_fills_the_bar_and_says_how_much(client, team):
    make_contract(make_customer(team["sales"]), APPLES, signed_on=company_today())
    _target(team["sales"], "565.00")
    deal = _figure(_strip(_my_day(client, team["sales"])), "Deal amount")
    assert '<progress max="100" value="100"' in deal and "200.0 %" in deal


def test_administrator_has_no_month_strip(client, team):
    assert "month-strip" not in _my_day(client, team["admin"])


class _Statements:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.sql.append(statement)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self)


def _statements(client, user) -> list[str]:
    login_as(client, user)
    client.get("/")  # warm: the first request also checks the users
    with _Statements() as recorded:
        assert client.get("/").status_code == 200
    return recorded.sql


@pytest.mark.parametrize("role", ["sales", "head"])
def test_the_month_is_one_statement_whatever_the_records(client, team, role):
    few = _statements(client, team[role])
    month = [sql for sql in few if "sales_targets" in sql]
    assert len(month) == 1
    assert all(table in month[0] for table in ("contracts", "quotes", "instalments"))
    _month_of_records(team)
    customer = make_customer(team["sales"], "大客户")
    for _ in range(10):
        make_contract(customer, APPLES, signed_on=company_today())
        make_quote(customer, ONE_BOX, status="sent")
    assert len(_statements(client, team[role])) == len(few)


def test_sections_with_nothing_due_fold_into_one_line_below_the_work(client, team):
    make_customer(team["sales"], "今天回访", next_follow_up_on=company_today())
    body = _my_day(client, team["sales"])
    assert "<h2>Follow-ups due</h2>" in body
    for folded in ("Quotes to act on", "Payments and deliveries", "Birthdays this week", "Complaints past their deadline"):
        assert f"<h2>{folded}</h2>" not in body
    line = body[body.index('class="empty all-clear"'):]
    line = line[:line.index("</p>")]
    assert body.index("<h2>Follow-ups due</h2>") < body.index("all-clear")
    assert "expiring quotes" in line and "birthdays this week" in line and "follow-ups due" not in line
    assert line.endswith("today.")


def test_a_section_with_something_due_is_not_folded(client, team):
    make_quote(make_customer(team["sales"]), ONE_BOX, status="sent", valid_days=2)
    body = _my_day(client, team["sales"])
    assert "<h2>Quotes to act on</h2>" in body
    assert "expiring quotes" not in body[body.index("all-clear"):]


def test_folded_line_in_chinese(client, team):
    team["sales"].language = "zh_CN"
    db.session.commit()
    body = _my_day(client, team["sales"])
    line = body[body.index('class="empty all-clear"'):]
    line = line[line.index(">") + 1:line.index("</p>")]
    assert line.startswith("今天没有") and "、" in line and "和" in line and "到期报价" in line


def test_each_request_renders_in_its_own_users_language(client, team, make_user):
    """Templates look the translations up once per request: back-to-back requests of a Chinese and
    an English user each get their own language, including plural forms."""
    chinese = make_user("sales", team["fruit"], language="zh_CN")
    for user, heading, line in ((chinese, "我的一天", "今天没有"), (team["sales"], "<h1>My day</h1>", "No "),
                                (chinese, "我的一天", "今天没有")):
        body = _my_day(client, user)
        assert heading in body and body[body.index("all-clear"):].split(">", 1)[1].startswith(line)

"""My day reminders per role: due today, overdue by days, birthdays this week, the team's counts."""
from datetime import date, timedelta

import pytest

from conftest import login_as
from my_day_page import my_day_page
from followups_factories import make_team, count_statements, make_customer
from portal.blueprints.followups import reminders
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contact
from portal.reminders import LIST_LIMIT

TODAY = date(2024, 5, 6)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(reminders, "company_today", lambda: TODAY)


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _due(owner, name, days_from_today, **fields):
    planned = None if days_from_today is None else TODAY + timedelta(days=days_from_today)
    return make_customer(owner, name, next_follow_up_on=planned, **fields)


def _section(body, title):
    """The HTML of one My day section, by its title."""
    start = body.index(f"<h2>{title}</h2>")
    return body[start:body.index("</section>", start)]


def _my_day(client, user):
    login_as(client, user)
    return my_day_page(client)


def test_salesperson_sees_due_today_and_overdue_oldest_first(client, team):
    _due(team["sales"], "今天甲", 0)
    _due(team["sales"], "今天乙", 0, mobile="13800138000")
    _due(team["sales"], "逾期三天", -3)
    _due(team["sales"], "逾期十天", -10)
    _due(team["sales"], "逾期一天", -1)
    _due(team["sales"], "明天的", 1)
    _due(team["sales"], "没计划", None)
    _due(team["colleague"], "同事逾期", -5)
    _due(team["outsider"], "外部门逾期", -5)
    _due(team["sales"], "已归档", -2).archived_at = utcnow()
    db.session.commit()
    section = _section(_my_day(client, team["sales"]), "Follow-ups due")
    today_part, overdue_part = section.split('id="overdue"')
    assert "今天甲" in today_part and "今天乙" in today_part and 'href="tel:13800138000"' in today_part
    assert "逾期" not in today_part and "明天的" not in section and "没计划" not in section
    assert overdue_part.index("逾期十天") < overdue_part.index("逾期三天") < overdue_part.index("逾期一天")
    assert "10 days" in overdue_part and "3 days" in overdue_part and "1 day<" in overdue_part
    for hidden in ("同事逾期", "外部门逾期", "已归档"):
        assert hidden not in section
    assert '<span class="badge due">2</span>' in today_part and '<span class="badge overdue">3</span>' in overdue_part


def test_salesperson_with_nothing_due_sees_empty_states(client, team):
    body = _my_day(client, team["sales"])
    # Sections with nothing to act on fold into one line instead of their empty lists.
    assert "<h2>Follow-ups due</h2>" not in body and "<h2>Birthdays this week</h2>" not in body
    line = body[body.index('class="empty all-clear"'):]
    assert "follow-ups due or overdue" in line and "birthdays this week" in line and line.index("</p>") > line.index("today.")
    assert "Follow-ups by salesperson" not in body


def test_birthdays_this_week_wrap_from_december_to_january(client, team, monkeypatch):
    monkeypatch.setattr(reminders, "company_today", lambda: date(2024, 12, 29))
    customer = make_customer(team["sales"], "年末客户")
    for name, md in (("新年前", 1231), ("元旦后", 102), ("窗口末", 104), ("太晚了", 105), ("昨天的", 1228), ("今天的", 1229)):
        customer.contacts.append(Contact(name=name, birthday_md=md, birthday=date(1990, md // 100, md % 100)))
    customer.contacts.append(Contact(name="已归档联系人", birthday_md=1230, archived_at=utcnow()))
    colleagues = make_customer(team["colleague"], "同事客户")
    colleagues.contacts.append(Contact(name="同事的联系人", birthday_md=1230))
    db.session.commit()
    section = _section(_my_day(client, team["sales"]), "Birthdays this week")
    assert section.index("今天的") < section.index("新年前") < section.index("元旦后") < section.index("窗口末")
    for hidden in ("太晚了", "昨天的", "已归档联系人", "同事的联系人"):
        assert hidden not in section
    assert "01-02" in section and "in 4 days" in section and "年末客户" in section
    # The head: the department's contacts (the query starts from the week's birthdays), no other department's.
    elsewhere = make_customer(team["outsider"], "外部门客户")
    elsewhere.contacts.append(Contact(name="外部门联系人", birthday_md=1230))
    db.session.commit()
    section = _section(_my_day(client, team["head"]), "Birthdays this week")
    assert section.index("今天的") < section.index("同事的联系人") < section.index("新年前") < section.index("窗口末")
    for hidden in ("太晚了", "昨天的", "已归档联系人", "外部门联系人"):
        assert hidden not in section


def test_head_sees_the_department_and_each_salespersons_counts(client, team):
    _due(team["sales"], "刘洋逾期一", -4)
    _due(team["sales"], "刘洋逾期二", -1)
    _due(team["sales"], "刘洋今天", 0)
    _due(team["colleague"], "陈静逾期", -7)
    _due(team["outsider"], "赵敏逾期", -9)
    body = _my_day(client, team["head"])
    due = _section(body, "Follow-ups due in my department")
    overdue_part = due.split('id="overdue"')[1]
    assert overdue_part.index("陈静逾期") < overdue_part.index("刘洋逾期一") < overdue_part.index("刘洋逾期二")
    assert "赵敏逾期" not in due
    assert "<th>Salesperson</th>" in due and "陈静</td>" in due  # owner column
    team_part = _section(body, "Follow-ups by salesperson")
    rows = [row for row in team_part.split("<tr>")[2:]]
    assert "刘洋" in rows[0] and '<span class="badge overdue">2</span>' in rows[0] and ">1</td>" in rows[0]
    assert "陈静" in rows[1] and '<span class="badge overdue">1</span>' in rows[1]
    assert "张伟" in rows[2] and ">0</td>" in rows[2]
    assert "赵敏" not in team_part


def test_my_day_runs_the_same_statements_for_few_or_many_rows(client, team):
    login_as(client, team["head"])

    def statements_for_home():
        with count_statements() as statements:
            client.get("/")
        return statements[0]

    for owner in ("sales", "colleague"):
        customer = _due(team[owner], f"{owner}-逾期", -2)
        customer.contacts.append(Contact(name="生日", birthday_md=507))
        _due(team[owner], f"{owner}-今天", 0)
    db.session.commit()
    statements_for_home()  # the first request of a process also checks that users exist
    few = statements_for_home()
    for number in range(30):
        customer = _due(team["sales" if number % 2 else "colleague"], f"客户{number}", -(number % 5))
        customer.contacts.append(Contact(name=f"联系人{number}", birthday_md=506 + number % 3))
    db.session.commit()
    assert statements_for_home() == few


def test_long_lists_are_capped_with_a_link_to_the_full_list(client, team):
    for number in range(LIST_LIMIT + 5):
        _due(team["sales"], f"逾期客户{number:03d}", -(1 + number))
    section = _section(_my_day(client, team["sales"]), "Follow-ups due")
    assert section.count('class="overdue-row"') == LIST_LIMIT
    oldest, too_recent = f"逾期客户{LIST_LIMIT + 4:03d}", "逾期客户004"
    assert oldest in section and too_recent not in section  # oldest first
    assert f"Showing the oldest {LIST_LIMIT} of {LIST_LIMIT + 5}." in section
    assert 'href="/customers/?overdue=1"' in section


def test_birthdays_beyond_the_list_are_counted_not_listed(client, team):
    """The badge-free birthday list shows its first rows, soonest first, and says how many there are."""
    from portal.rules.followups import birthday_window

    start, _end = birthday_window(TODAY, 7)
    for number in range(LIST_LIMIT + 3):
        customer = _due(team["sales"], f"生日客户{number:03d}", 3)
        customer.contacts.append(Contact(name=f"寿星{number:03d}", birthday_md=start))
    db.session.commit()
    section = _section(_my_day(client, team["sales"]), "Birthdays this week")
    assert section.count("<li>") == LIST_LIMIT
    assert "寿星000" in section and f"寿星{LIST_LIMIT + 2:03d}" not in section  # by name on the same day
    assert f"Showing the first {LIST_LIMIT} of {LIST_LIMIT + 3}." in section


def test_hr_sees_no_customer_reminders(client, team):
    """HR has no customer work: My day sends it to the performance pages, which name no customer."""
    _due(team["sales"], "逾期客户", -3)
    login_as(client, team["hr"])
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/performance/")
    body = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "逾期客户" not in body and "Follow-ups due" not in body


def test_admin_sees_counts_per_department(client, team):
    _due(team["sales"], "甲", -3)
    _due(team["colleague"], "乙", 0)
    _due(team["outsider"], "丙", -1)
    _due(team["outsider"], "丁", -2)
    section = _section(_my_day(client, team["admin"]), "Follow-ups by department")
    rows = section.split("<tr>")[2:]
    assert "蔬菜部" in rows[0] and '<span class="badge overdue">2</span>' in rows[0]
    assert "水果部" in rows[1] and '<span class="badge overdue">1</span>' in rows[1] and ">1</td>" in rows[1]
    assert "甲" not in section  # counts only, no customer list


def test_a_heads_department_lists_are_kept_a_few_minutes_and_say_so(client, team):
    """A department's lists (thousands of rows) are read once per few minutes for a head, with the
    time they were read and a Refresh; a salesperson's own lists are read afresh every time."""
    birthday = TODAY.month * 100 + TODAY.day
    customer = make_customer(team["sales"], "生日客户")
    customer.contacts.append(Contact(name="第一位联系人", birthday_md=birthday))
    db.session.commit()
    assert "第一位联系人" in _section(_my_day(client, team["head"]), "Birthdays this week")

    customer.contacts.append(Contact(name="第二位联系人", birthday_md=birthday))
    db.session.commit()
    kept = _my_day(client, team["head"])
    assert "第二位联系人" not in _section(kept, "Birthdays this week")
    assert "Department figures as of" in kept and "refresh=1" in kept

    own = _my_day(client, team["sales"])
    assert "第二位联系人" in _section(own, "Birthdays this week")
    assert "Department figures as of" not in own

    login_as(client, team["head"])
    refreshed = client.get("/my-day/later?refresh=1", headers={"HX-Request": "true", "HX-Target": "my-day-later"})
    assert refreshed.status_code == 200 and "第二位联系人" in refreshed.get_data(as_text=True)
    assert "第二位联系人" in _section(_my_day(client, team["head"]), "Birthdays this week")


def test_a_salesperson_opens_on_their_calls_a_head_on_the_month(client, team):
    """A salesperson's follow-ups due are on My day as it opens; a head's department list comes in
    the part loaded after the first paint, with the other department lists."""
    _due(team["sales"], "刘洋逾期", -2)
    login_as(client, team["sales"])
    assert "刘洋逾期" in client.get("/").get_data(as_text=True)
    login_as(client, team["head"])
    first = client.get("/").get_data(as_text=True)
    assert "刘洋逾期" not in first and "Follow-ups due in my department" not in first
    later = client.get("/my-day/later", headers={"HX-Request": "true", "HX-Target": "my-day-later"}).get_data(as_text=True)
    assert "Follow-ups due in my department" in later and "刘洋逾期" in later

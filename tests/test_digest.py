"""The morning digest: each person's part of My day by e-mail, sent once a day, to a local SMTP server."""
from datetime import date, datetime, timedelta
from decimal import Decimal

from conftest import login_as
from followups_factories import make_customer, make_follow_up, make_team
from notifications_helpers import parts, smtp, subscribe  # noqa: F401  (fixture)
from portal.blueprints.notifications.digest import send_digests
from portal.extensions import db
from portal.models import DigestSend, LookupValue, LostOrder, Payment, Role
from portal.rules.followups import company_today

import pytest


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _customers(team):
    today = company_today()
    make_customer(team["sales"], "刘洋的超市", next_follow_up_on=today)
    make_customer(team["colleague"], "陈静的酒店", next_follow_up_on=today - timedelta(days=3))
    make_customer(team["outsider"], "赵敏的菜场", next_follow_up_on=today)
    db.session.commit()


def test_salesperson_gets_own_follow_ups_only_with_links(smtp, team):
    _customers(team)
    address = subscribe(team["sales"])
    result = send_digests()
    assert result.sent == [team["sales"].username]
    [message] = smtp.to(address)
    text, html = parts(message)
    assert "刘洋的超市" in html and "刘洋的超市" in text
    assert "陈静的酒店" not in html and "赵敏的菜场" not in html
    assert 'href="http://crm.example.lan/customers/' in html
    assert "http://crm.example.lan/customers/" in text
    assert message["Subject"].startswith("My day ")


def test_head_gets_department_and_yesterdays_figures_not_other_departments(smtp, team):
    _customers(team)
    head = team["head"]
    today = company_today()
    yesterday = today - timedelta(days=1)
    customer = make_customer(team["sales"], "昨天的新客户", next_follow_up_on=yesterday)
    reason = LookupValue(kind="lost_reason", name="价格太高")
    db.session.add(reason)
    db.session.flush()
    db.session.add(LostOrder(customer_id=customer.id, owner_id=team["sales"].id, department_id=team["fruit"].id,
                             lost_on=yesterday, reason_id=reason.id, amount=Decimal("1200.00")))
    db.session.commit()
    address = subscribe(head)
    send_digests()
    [message] = smtp.to(address)
    text, html = parts(message)
    assert "陈静的酒店" in html and "刘洋的超市" in html
    assert "赵敏的菜场" not in html
    assert "Your department on" in html
    assert "价格太高 1" in html
    assert "Orders lost: 1 (" in text
    assert "Follow-ups: 1" in text  # the customer planned for yesterday became overdue


def test_chinese_by_default(smtp, team, make_user):
    _customers(team)
    chinese = team["sales"]
    chinese.language = "zh_CN"
    db.session.commit()
    address = subscribe(chinese)
    send_digests()
    [message] = smtp.to(address)
    text, html = parts(message)
    assert "我的一天" in message["Subject"]
    assert "Follow-ups due" not in html


def test_nothing_to_say_sends_nothing_and_hr_gets_nothing(smtp, team):
    _customers(team)
    subscribe(team["hr"])
    idle = team["admin"]
    subscribe(team["outsider"], enabled=False)
    result = send_digests()
    assert smtp.messages == []
    assert team["hr"].username in result.empty
    assert idle.username not in result.sent


def test_one_digest_a_day_even_when_run_twice(smtp, team):
    _customers(team)
    address = subscribe(team["sales"])
    send_digests()
    second = send_digests()
    assert len(smtp.to(address)) == 1
    assert second.sent == []
    record = db.session.query(DigestSend).one()
    assert record.status == "sent" and record.sent_at is not None and record.day == company_today()


def test_refusing_server_is_recorded_and_retried_next_run(smtp, team):
    _customers(team)
    address = subscribe(team["sales"])
    smtp.refuse = True
    result = send_digests()
    assert result.failed == [team["sales"].username]
    record = db.session.query(DigestSend).one()
    assert record.status == "failed" and "550" in record.error
    smtp.refuse = False
    retry = send_digests()
    assert retry.sent == [team["sales"].username]
    assert len(smtp.to(address)) == 1
    db.session.expire_all()
    record = db.session.query(DigestSend).one()
    assert record.status == "sent" and record.attempts == 2


def test_before_the_digest_time_nothing_is_sent(smtp, team, app, monkeypatch):
    _customers(team)
    subscribe(team["sales"])
    monkeypatch.setitem(app.config, "DIGEST_TIME", "07:30")
    result = send_digests(now=datetime.combine(company_today(), datetime.min.time()).replace(hour=6))
    assert result.too_early and smtp.messages == []


def test_deactivated_user_gets_nothing(smtp, team):
    _customers(team)
    team["sales"].active = False
    db.session.commit()
    subscribe(team["sales"])
    send_digests()
    assert smtp.messages == []


def test_command_sends(smtp, team, app):
    _customers(team)
    address = subscribe(team["sales"])
    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp.to(address)) == 1


def test_settings_page_saves_address_and_turns_digest_off(client, team, smtp):
    _customers(team)
    user = team["sales"]
    login_as(client, user)
    page = client.get("/account/notifications")
    assert page.status_code == 200
    bad = client.post("/account/notifications", data={"email": "not an address", "digest_enabled": "y", "version": "1"})
    assert bad.status_code == 422
    saved = client.post("/account/notifications", data={"email": "liu@example.com", "version": "1"})
    assert saved.status_code == 302
    send_digests()
    assert smtp.messages == []  # turned off
    again = client.post("/account/notifications", data={"email": "liu@example.com", "digest_enabled": "y", "version": "1"})
    assert again.status_code == 302
    send_digests()
    assert len(smtp.to("liu@example.com")) == 1
    assert "Last digest sent" in client.get("/account/notifications").get_data(as_text=True)


def test_a_day_claimed_by_a_run_in_progress_is_left_to_it(smtp, team):
    from portal.database import utcnow

    _customers(team)
    address = subscribe(team["sales"])
    db.session.add(DigestSend(user_id=team["sales"].id, day=company_today(), status="sending", claimed_at=utcnow()))
    db.session.commit()
    assert send_digests().sent == []
    assert smtp.to(address) == []

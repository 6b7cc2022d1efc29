"""The private calendar feed: created and revoked on the settings page, read without a session,
only the token owner's scope."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from icalendar import Calendar

from conftest import login_as
from followups_factories import make_customer, make_team
from portal.blueprints.notifications.feed import token_hash
from portal.extensions import db
from portal.models import NotificationPreference
from portal.rules.followups import company_today


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _create_feed(client, user) -> str:
    login_as(client, user)
    response = client.post("/account/notifications/feed")
    assert response.status_code == 200
    url = re.search(r'id="feed-url"', response.get_data(as_text=True)) and \
        re.search(r'value="([^"]+\.ics)"', response.get_data(as_text=True)).group(1)
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    return url.replace("http://portal.test", "")


def _events(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    return {str(event.get("summary")): event for event in calendar.walk("VEVENT")}


def test_feed_lists_own_follow_ups_without_a_session(client, team):
    today = company_today()
    make_customer(team["sales"], "刘洋的超市", next_follow_up_on=today + timedelta(days=3), mobile="13800001111")
    make_customer(team["sales"], "很久以后", next_follow_up_on=today + timedelta(days=90))
    make_customer(team["colleague"], "陈静的酒店", next_follow_up_on=today)
    make_customer(team["outsider"], "赵敏的菜场", next_follow_up_on=today)
    db.session.commit()
    url = _create_feed(client, team["sales"])
    events = _events(client.get(url))
    assert list(events) == ["Follow up: 刘洋的超市"]
    event = events["Follow up: 刘洋的超市"]
    assert event.decoded("dtstart") == today + timedelta(days=3)
    assert "13800001111" in str(event.get("description"))
    assert str(event.get("url")).startswith("http://portal.test/customers/")


def test_head_feed_covers_department_only(client, team):
    today = company_today()
    make_customer(team["colleague"], "陈静的酒店", next_follow_up_on=today)
    make_customer(team["outsider"], "赵敏的菜场", next_follow_up_on=today)
    db.session.commit()
    events = _events(client.get(_create_feed(client, team["head"])))
    assert list(events) == ["Follow up: 陈静的酒店"]


def test_token_of_one_user_never_shows_anothers_events(client, team):
    today = company_today()
    make_customer(team["sales"], "刘洋的超市", next_follow_up_on=today)
    make_customer(team["outsider"], "赵敏的菜场", next_follow_up_on=today)
    db.session.commit()
    mine, theirs = _create_feed(client, team["sales"]), _create_feed(client, team["outsider"])
    assert list(_events(client.get(mine))) == ["Follow up: 刘洋的超市"]
    assert list(_events(client.get(theirs))) == ["Follow up: 赵敏的菜场"]
    # A session of another user changes nothing: the token decides.
    login_as(client, team["outsider"])
    assert list(_events(client.get(mine))) == ["Follow up: 刘洋的超市"]


def test_token_is_stored_hashed_and_revocation_ends_the_feed(client, team):
    url = _create_feed(client, team["sales"])
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    preference = db.session.query(NotificationPreference).one()
    assert preference.feed_token_hash == token_hash(token) and token not in preference.feed_token_hash
    assert client.get(url).status_code == 200
    login_as(client, team["sales"])
    assert client.post("/account/notifications/feed/revoke").status_code == 302
    assert client.get(url).status_code == 404


def test_new_address_replaces_the_old(client, team):
    first = _create_feed(client, team["sales"])
    second = _create_feed(client, team["sales"])
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_deactivated_user_feed_stops(client, team):
    url = _create_feed(client, team["sales"])
    team["sales"].active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_wrong_tokens_answer_404(client, team):
    _create_feed(client, team["sales"])
    for token in ("x", "a" * 43, "%00", "a" * 100):
        assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_hr_feed_has_no_customer_events(client, team):
    make_customer(team["sales"], "刘洋的超市", next_follow_up_on=company_today())
    db.session.commit()
    assert _events(client.get(_create_feed(client, team["hr"]))) == {}


def test_chinese_feed(client, team):
    team["sales"].language = "zh_CN"
    make_customer(team["sales"], "刘洋的超市", next_follow_up_on=company_today())
    db.session.commit()
    events = _events(client.get(_create_feed(client, team["sales"])))
    assert len(events) == 1 and "刘洋的超市" in next(iter(events)) and "Follow up" not in next(iter(events))


def test_deliveries_instalments_and_quote_expiry(client, team):
    from contracts_factories import make_contract, make_delivery
    from quotes_factories import make_quote

    today = company_today()
    customer = make_customer(team["sales"], "刘洋的超市", phone="021-5555")
    other = make_customer(team["outsider"], "赵敏的菜场")
    contract = make_contract(customer, plan=[(today + timedelta(days=5), "500.00"), (today + timedelta(days=20), "630.00")],
                             payments=[(today, "500.00")])
    make_delivery(contract, planned_on=today + timedelta(days=2))
    make_delivery(contract, planned_on=today - timedelta(days=1), delivered_on=today - timedelta(days=1))
    make_quote(customer, status="sent", valid_days=10, sent_at=None)
    make_quote(customer, status="draft", valid_days=12)
    other_contract = make_contract(other, plan=[(today + timedelta(days=5), "1130.00")])
    make_delivery(other_contract, planned_on=today + timedelta(days=2))
    events = _events(client.get(_create_feed(client, team["sales"])))
    kinds = sorted(summary.split(" ")[0] for summary in events)
    assert kinds == ["Delivery", "Payment", "Quote"], list(events)
    payment = next(event for summary, event in events.items() if summary.startswith("Payment"))
    assert payment.decoded("dtstart") == today + timedelta(days=20)  # the first instalment is paid
    assert "021-5555" in str(payment.get("description"))
    assert all("赵敏" not in summary for summary in events)

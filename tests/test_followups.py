"""Follow-ups on a customer: the panel, logging inline (htmx) and plainly, editing, archiving, scope."""
import html
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from followups_factories import make_team, count_statements, make_customer, make_follow_up
from conftest import HTMX_HEADERS, login_as
from portal.blueprints.followups.panel import FIRST_PAGE
from portal.extensions import db
from portal.models import Contact, FollowUp
from portal.rules.followups import company_today

PANEL = {**HTMX_HEADERS, "HX-Target": "follow-ups"}


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _url(customer, *parts):
    return "/".join([f"/customers/{customer.id}/follow-ups", *parts])


def _form(**fields):
    data = {"kind": "call_out", "happened_at": "2024-05-06T10:00", "summary": "客户询问苹果价格", "contact_id": "0",
            "next_follow_up_on": ""}
    data.update(fields)
    return data


def _count(customer):
    return db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.customer_id == customer.id))


@pytest.mark.parametrize(
    "actor, owner, expected",
    [
        ("sales", "sales", 200),
        ("sales", "colleague", 404),
        ("head", "colleague", 200),
        ("head", "outsider", 404),
        ("hr", "sales", 404),
        ("admin", "outsider", 200),
    ],
)
def test_timeline_follows_customer_scope(client, team, actor, owner, expected):
    customer = make_customer(team[owner], "华联超市")
    make_follow_up(customer, team[owner], summary="上门拜访采购经理")
    login_as(client, team[actor])
    response = client.get(_url(customer))
    assert response.status_code == expected
    if expected == 200:
        assert "上门拜访采购经理" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "actor, owner, expected",
    [("sales", "colleague", 404), ("head", "outsider", 404), ("hr", "sales", 404)],
)
def test_logging_outside_scope_is_404_and_saves_nothing(client, team, actor, owner, expected):
    customer = make_customer(team[owner])
    login_as(client, team[actor])
    assert client.post(_url(customer), data=_form(), headers=PANEL).status_code == expected
    assert _count(customer) == 0


@pytest.mark.parametrize("actor, owner", [("sales", "sales"), ("head", "colleague"), ("admin", "outsider")])
def test_htmx_log_returns_the_panel_with_the_new_entry_on_top(client, team, actor, owner):
    customer = make_customer(team[owner], intention_grade="B")
    make_follow_up(customer, team[owner], summary="较早的一次回访", ago=timedelta(days=3))
    login_as(client, team[actor])
    response = client.post(_url(customer), data=_form(happened_at="", summary="新的回访记录"), headers=PANEL)
    assert response.status_code == 422  # date missing
    assert "Enter the date and time." in response.get_data(as_text=True)
    now = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_url(customer), data=_form(happened_at=now, summary="新的回访记录"), headers=PANEL)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'id="follow-ups"' in body
    assert body.index("新的回访记录") < body.index("较早的一次回访")
    assert response.headers["HX-Trigger"] == "follow-up-saved"
    assert "HX-Request" in response.headers["Vary"]
    db.session.refresh(customer)
    # Grade B: next date = follow-up date + 14 days.
    assert customer.next_follow_up_on == company_today() + timedelta(days=14)
    entry = db.session.scalar(select(FollowUp).where(FollowUp.summary == "新的回访记录"))
    assert entry.user_id == team[actor].id
    assert customer.last_follow_up_at == entry.happened_at


def test_a_save_redirects_from_one_transaction(client, team):
    """The redirect after a save is built from what the save loaded: no second transaction (on
    SQLite a write one, queued behind the other writers) reloads the customer after the commit."""
    customer = make_customer(team["sales"], intention_grade="B")
    login_as(client, team["sales"])
    begun = []
    listener = lambda connection: begun.append(connection)  # noqa: E731 - one-line event listener
    event.listen(db.engine, "begin", listener)
    try:
        response = client.post(_url(customer), data=_form(summary="一次事务"))
    finally:
        event.remove(db.engine, "begin", listener)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/customers/{customer.id}")
    assert len(begun) == 1
    assert db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.summary == "一次事务")) == 1


def test_only_a_request_that_may_write_keeps_its_objects_after_commit(app, team):
    for method, kept in (("POST", True), ("GET", False)):
        with app.test_request_context("/", method=method):
            app.preprocess_request()
            assert db.session().expire_on_commit is not kept
            app.do_teardown_request()
            # After the request (a command, a test sharing the session) commits expire again.
            assert db.session().expire_on_commit is True


def test_plain_post_redirects_to_the_customer_page(client, team):
    customer = make_customer(team["sales"], intention_grade="A")
    login_as(client, team["sales"])
    response = client.post(_url(customer), data=_form(next_follow_up_on="2024-05-20"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    db.session.refresh(customer)
    assert customer.next_follow_up_on == date(2024, 5, 20)  # typed date wins over the grade
    entry = db.session.scalar(select(FollowUp).where(FollowUp.customer_id == customer.id))
    # 10:00 in Shanghai is 02:00 UTC.
    assert entry.happened_at == datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc)
    assert customer.last_follow_up_at == entry.happened_at


def test_empty_next_date_defaults_from_the_grade(client, team):
    customer = make_customer(team["sales"], intention_grade="C")
    login_as(client, team["sales"])
    client.post(_url(customer), data=_form(happened_at="2024-05-06T10:00"))
    db.session.refresh(customer)
    assert customer.next_follow_up_on == date(2024, 6, 5)  # C: 30 days
    ungraded = make_customer(team["sales"], "无等级客户")
    client.post(_url(ungraded), data=_form())
    db.session.refresh(ungraded)
    assert ungraded.next_follow_up_on is None


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"summary": "   "}, "summary", "Write what was discussed."),
        ({"happened_at": "2024-02-30 10:00"}, "happened_at", "Enter the date and time as YYYY-MM-DD HH:MM."),
        ({"happened_at": "明天"}, "happened_at", "Enter the date and time as YYYY-MM-DD HH:MM."),
        ({"next_follow_up_on": "2024-05-05"}, "next_follow_up_on", "The next follow-up cannot be before the follow-up itself."),
        ({"next_follow_up_on": "05/20/2024"}, "next_follow_up_on", "Enter the date as YYYY-MM-DD."),
        ({"happened_at": "2999-01-01T10:00"}, "happened_at", "A follow-up cannot be dated after today."),
        ({"kind": "fax"}, "kind", "Not a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, team, fields, field, message):
    customer = make_customer(team["sales"])
    login_as(client, team["sales"])
    for headers in (PANEL, {}):
        response = client.post(_url(customer), data=_form(**fields), headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in body
        assert f'name="{field}"' in body and 'aria-invalid="true"' in body
        assert ("<html" in body) is (headers == {})
    assert _count(customer) == 0
    db.session.refresh(customer)
    assert customer.last_follow_up_at is None


def test_contact_must_belong_to_the_customer(client, team):
    customer = make_customer(team["sales"])
    mine = Contact(customer_id=customer.id, name="王经理")
    other = Contact(customer_id=make_customer(team["sales"], "别家").id, name="李主任")
    db.session.add_all([mine, other])
    db.session.commit()
    login_as(client, team["sales"])
    assert client.post(_url(customer), data=_form(contact_id=other.id), headers=PANEL).status_code == 422
    assert client.post(_url(customer), data=_form(contact_id=mine.id), headers=PANEL).status_code == 200
    assert db.session.scalar(select(FollowUp.contact_id).where(FollowUp.customer_id == customer.id)) == mine.id


def test_form_prefills_now_preferred_mode_and_next_date(client, team):
    customer = make_customer(team["sales"], intention_grade="A")
    login_as(client, team["sales"])
    body = client.get(_url(customer)).get_data(as_text=True)
    expected_next = (company_today() + timedelta(days=7)).isoformat()
    assert f'value="{expected_next}"' in body
    assert '<option selected value="visit">' in body
    assert "Grade A: follow up every 7 days, preferably by Visit." in body
    assert f'value="{company_today().isoformat()}T' in body


def test_customer_page_includes_the_panel(client, team):
    customer = make_customer(team["sales"])
    make_follow_up(customer, team["sales"], summary="电话确认送货地址")
    login_as(client, team["sales"])
    body = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'id="follow-ups"' in body and "电话确认送货地址" in body
    assert f'hx-post="/customers/{customer.id}/follow-ups"' in body


def test_the_customer_page_shows_the_newest_then_the_older_ones_as_scrolled_to(client, team):
    customer = make_customer(team["sales"])
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    db.session.add_all(
        FollowUp(customer_id=customer.id, user_id=team["colleague" if index == 24 else "sales"].id, kind="visit",
                 happened_at=start + timedelta(hours=index), summary=f"第{index:03d}次")
        for index in range(25)
    )
    db.session.commit()
    login_as(client, team["sales"])
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    shown = [index for index in range(25) if f"第{index:03d}次" in page]
    assert shown == list(range(25 - FIRST_PAGE, 25))
    # The "older" item loads the rest when it is clicked or scrolled into view.
    more = re.search(r'<li id="follow-up-more".*?</li>', page, re.S).group(0)
    assert 'hx-trigger="click, revealed"' in more
    older = client.get(html.unescape(re.search(r'hx-get="([^"]+)"', more).group(1)),
                       headers={**HTMX_HEADERS, "HX-Target": "follow-up-more"}).get_data(as_text=True)
    assert [index for index in range(25) if f"第{index:03d}次" in older] == list(range(25 - FIRST_PAGE))
    assert 'id="follow-up-more"' not in older
    # Only the author (here the salesperson, not the colleague's newest) may change an entry; the head any.
    entries = {e.id: e for e in db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id))}
    theirs = next(e for e in entries.values() if e.summary == "第024次")
    mine = next(e for e in entries.values() if e.summary == "第023次")
    assert f"/follow-ups/{theirs.id}/edit" not in page and f"/follow-ups/{mine.id}/edit" in page
    login_as(client, team["head"])
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f"/follow-ups/{theirs.id}/edit" in page and f"/follow-ups/{mine.id}/edit" in page


def test_timeline_pages_by_keyset_in_fixed_statements(client, team):
    customer = make_customer(team["sales"])
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    # Pairs share a timestamp, so the id breaks ties.
    db.session.add_all(
        FollowUp(customer_id=customer.id, user_id=team["sales"].id, kind="visit",
                 happened_at=start + timedelta(hours=index // 2), summary=f"第{index:03d}次")
        for index in range(120)
    )
    db.session.commit()
    login_as(client, team["sales"])
    body = client.get(_url(customer)).get_data(as_text=True)
    seen = [f"第{index:03d}次" for index in range(120) if f"第{index:03d}次" in body]
    assert len(seen) == 50 and "第119次" in seen and "第070次" in seen
    assert body.index("第119次") < body.index("第118次")
    pages = [seen]
    more_headers = {**HTMX_HEADERS, "HX-Target": "follow-up-more"}
    statement_counts = []
    while 'id="follow-up-more"' in body:
        before = body.split("follow-ups?before=")[1].split('"')[0]
        with count_statements() as statements:
            response = client.get(_url(customer) + f"?before={before}", headers=more_headers)
        body = response.get_data(as_text=True)
        assert "<html" not in body and "<li" in body
        pages.append([f"第{i:03d}次" for i in range(120) if f"第{i:03d}次" in body])
        statement_counts.append(statements[0])
    assert [len(page) for page in pages] == [50, 50, 20]
    assert sorted(sum(pages, [])) == sorted(f"第{i:03d}次" for i in range(120))
    # 50 rows or 20: the same statements (users and contacts come with the follow-ups).
    assert statement_counts[0] == statement_counts[1] <= 8
    # Without htmx the "older" link opens a whole page.
    assert "<html" in client.get(_url(customer) + f"?before={before}").get_data(as_text=True)


def test_author_head_and_admin_may_edit_others_may_not(client, team):
    customer = make_customer(team["sales"])
    # Written by the former owner before a handover: the new owner sees it but may not change it.
    entry = make_follow_up(customer, team["colleague"], summary="交接前的记录")
    login_as(client, team["sales"])
    assert client.get(_url(customer, str(entry.id), "edit")).status_code == 403
    assert client.post(_url(customer, str(entry.id), "archive")).status_code == 403
    assert "交接前的记录" in client.get(_url(customer)).get_data(as_text=True)
    assert f"/follow-ups/{entry.id}/edit" not in client.get(_url(customer)).get_data(as_text=True)
    for actor in ("head", "admin"):
        login_as(client, team[actor])
        assert client.get(_url(customer, str(entry.id), "edit")).status_code == 200


def test_follow_up_of_another_customer_is_404(client, team):
    mine = make_customer(team["sales"])
    other = make_customer(team["sales"], "别的客户")
    entry = make_follow_up(other, team["sales"])
    login_as(client, team["sales"])
    assert client.get(_url(mine, str(entry.id), "edit")).status_code == 404


def test_edit_saves_and_stale_form_is_409(client, team):
    customer = make_customer(team["sales"], intention_grade="B")
    entry = make_follow_up(customer, team["sales"], summary="原记录")
    login_as(client, team["sales"])
    page = client.get(_url(customer, str(entry.id), "edit")).get_data(as_text=True)
    assert "原记录" in page and 'name="version"' in page
    data = _form(summary="改过的记录", version=entry.version, happened_at="2024-05-06T08:00",
                 next_follow_up_on="2024-05-10")
    assert client.post(_url(customer, str(entry.id), "edit"), data=data).status_code == 303
    db.session.refresh(entry)
    db.session.refresh(customer)
    assert entry.summary == "改过的记录" and entry.happened_at.hour == 0
    assert customer.next_follow_up_on == date(2024, 5, 10)
    stale = client.post(_url(customer, str(entry.id), "edit"), data={**data, "summary": "又一次"})
    assert stale.status_code == 409
    assert "Someone else saved this record" in stale.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.summary == "改过的记录"


def test_archive_confirms_then_schedule_follows_the_newest_left(client, team):
    customer = make_customer(team["sales"])
    older = make_follow_up(customer, team["sales"], summary="上次", ago=timedelta(days=10), next_follow_up_on=date(2024, 3, 1))
    newer = make_follow_up(customer, team["sales"], summary="这次", ago=timedelta(days=1), next_follow_up_on=date(2024, 4, 1))
    login_as(client, team["sales"])
    client.post(_url(customer), data=_form(happened_at="2020-01-01T09:00", summary="补录的旧记录"))
    db.session.refresh(customer)
    # A back-dated entry does not move the plan.
    assert (customer.last_follow_up_at, customer.next_follow_up_on) == (newer.happened_at, date(2024, 4, 1))
    confirm = client.get(_url(customer, str(newer.id), "archive"))
    assert confirm.status_code == 200 and "Archive this follow-up?" in confirm.get_data(as_text=True)
    db.session.refresh(newer)
    assert newer.archived_at is None
    assert client.post(_url(customer, str(newer.id), "archive")).status_code == 303
    db.session.refresh(newer)
    db.session.refresh(customer)
    assert newer.archived_at is not None
    assert customer.next_follow_up_on == date(2024, 3, 1)
    assert customer.last_follow_up_at == older.happened_at
    assert "这次" not in client.get(_url(customer)).get_data(as_text=True)
    assert client.get(_url(customer, str(newer.id), "edit")).status_code == 404


def test_restoring_an_archived_follow_up_brings_its_schedule_back(client, team):
    customer = make_customer(team["sales"])
    make_follow_up(customer, team["sales"], summary="上次", ago=timedelta(days=10), next_follow_up_on=date(2024, 3, 1))
    newer = make_follow_up(customer, team["sales"], summary="这次", ago=timedelta(days=1), next_follow_up_on=date(2024, 4, 1))
    login_as(client, team["sales"])
    client.post(_url(customer, str(newer.id), "archive"))
    db.session.refresh(customer)
    assert customer.next_follow_up_on == date(2024, 3, 1)
    login_as(client, team["admin"])
    assert client.post(f"/admin/archived/follow_ups/{newer.id}/restore").status_code == 302
    db.session.refresh(customer)
    assert customer.next_follow_up_on == date(2024, 4, 1)
    assert customer.last_follow_up_at == db.session.get(FollowUp, newer.id).happened_at

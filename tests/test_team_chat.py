"""Team chat messages: a local HTTP server stands in for the WeCom / DingTalk group robot."""
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import login_as
from contracts_factories import make_contract
from followups_factories import make_customer, make_team
from portal import jobs
from portal.blueprints.notifications.webhooks import deliver_pending, queue_overdue_complaints
from portal.database import utcnow
from portal.extensions import db
from portal.models import Complaint, DepartmentWebhook, LookupValue, LostOrder, WebhookMessage


class Robot:
    def __init__(self):
        self.received: list[dict] = []
        self.answer = {"errcode": 0, "errmsg": "ok"}
        self.status = 200


@pytest.fixture
def robot(app, monkeypatch):
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"path": self.path, "json": json.loads(body), "type": self.headers["Content-Type"]})
            answer = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", ["127.0.0.1"])
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SECONDS", 0)
    monkeypatch.setitem(app.config, "PORTAL_BASE_URL", "http://crm.example.lan")
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _hook(team, robot, platform="wecom", **fields):
    hook = DepartmentWebhook(department_id=team["fruit"].id, platform=platform,
                             url=f"{robot.url}/cgi-bin/webhook/send?key=abc", enabled=True,
                             lost_order_from=Decimal("5000"), contract_from=Decimal("1000"), overdue_complaints=True, **fields)
    db.session.add(hook)
    db.session.commit()
    return hook


def _lost_order(team, amount):
    customer = make_customer(team["sales"], "华联超市")
    reason = LookupValue(kind="lost_reason", name="价格太高")
    db.session.add(reason)
    db.session.flush()
    db.session.add(LostOrder(customer_id=customer.id, owner_id=team["sales"].id, department_id=team["fruit"].id,
                             lost_on=utcnow().date(), reason_id=reason.id, amount=Decimal(amount)))
    db.session.commit()


def test_big_lost_order_posts_wecom_markdown_after_commit(robot, team):
    _hook(team, robot)
    _lost_order(team, "12000.00")
    assert jobs.wait_for_all(30)
    [call] = robot.received
    assert call["path"] == "/cgi-bin/webhook/send?key=abc"
    assert call["type"].startswith("application/json")
    message = call["json"]
    assert set(message) == {"msgtype", "markdown"} and message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert "华联超市" in content and "12,000.00" in content
    assert "(http://crm.example.lan/lost/orders)" in content or "http://crm.example.lan/" in content
    assert db.session.query(WebhookMessage).one().status == "sent"


def test_small_lost_order_posts_nothing(robot, team):
    _hook(team, robot)
    _lost_order(team, "100.00")
    assert jobs.wait_for_all(30)
    assert robot.received == [] and db.session.query(WebhookMessage).count() == 0


def test_other_department_posts_nothing(robot, team):
    _hook(team, robot)
    other = make_customer(team["outsider"], "赵敏的菜场")
    make_contract(other, lines=(("白菜", "1000", "100.00"),))
    assert jobs.wait_for_all(30)
    assert robot.received == []


def test_big_contract_posts_dingtalk_markdown(robot, team):
    _hook(team, robot, platform="dingtalk")
    customer = make_customer(team["sales"], "华联超市")
    contract = make_contract(customer, lines=(("苹果", "100", "100.00"),))
    assert jobs.wait_for_all(30)
    [call] = robot.received
    message = call["json"]
    assert message["msgtype"] == "markdown" and set(message["markdown"]) == {"title", "text"}
    assert "华联超市" in message["markdown"]["title"]
    assert contract.number in message["markdown"]["text"]
    assert f"http://crm.example.lan/contracts/{contract.id}" in message["markdown"]["text"]


def test_overdue_complaint_posted_once(robot, team):
    _hook(team, robot)
    customer = make_customer(team["sales"], "华联超市")
    category = LookupValue(kind="complaint_category", name="交期")
    db.session.add(category)
    db.session.flush()
    db.session.add(Complaint(customer_id=customer.id, kind="complaint", channel="phone", category_id=category.id,
                             severity="urgent", content="送货晚了三天", received_at=utcnow() - timedelta(days=2),
                             respond_by=utcnow() - timedelta(days=1), handler_id=team["sales"].id,
                             department_id=team["fruit"].id))
    db.session.commit()
    assert queue_overdue_complaints() == 1
    assert queue_overdue_complaints() == 0
    assert deliver_pending() == 1
    assert deliver_pending() == 0
    [call] = robot.received
    assert "送货晚了三天" in call["json"]["markdown"]["content"]


def test_refusing_robot_is_retried_and_recorded(robot, team, app):
    _hook(team, robot)
    robot.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    _lost_order(team, "12000.00")
    assert jobs.wait_for_all(30)
    assert len(robot.received) == app.config["WEBHOOK_ATTEMPTS"]
    message = db.session.query(WebhookMessage).one()
    assert message.status == "failed" and "310000" in message.error
    robot.answer = {"errcode": 0, "errmsg": "ok"}
    assert deliver_pending() == 1
    db.session.expire_all()
    assert db.session.query(WebhookMessage).one().status == "sent"


def test_head_sets_the_robot_others_may_not(client, team, robot):
    login_as(client, team["sales"])
    assert client.get("/department/team-chat").status_code == 403
    login_as(client, team["head"])
    assert client.get("/department/team-chat").status_code == 200
    bad = client.post("/department/team-chat", data={"platform": "wecom", "url": "http://evil.example/x", "enabled": "y",
                                                     "lost_order_from": "5000", "contract_from": "1000", "version": "1"})
    assert bad.status_code == 422
    saved = client.post("/department/team-chat", data={"platform": "dingtalk", "url": f"{robot.url}/robot/send?access_token=t",
                                                       "enabled": "y", "lost_order_from": "5000", "contract_from": "1000",
                                                       "version": "1"})
    assert saved.status_code == 302
    hook = db.session.query(DepartmentWebhook).one()
    assert hook.department_id == team["fruit"].id and hook.platform == "dingtalk"


def test_dingtalk_signing_adds_timestamp_and_sign(robot, team):
    import base64
    import hashlib
    import hmac
    from urllib.parse import parse_qs, urlsplit

    _hook(team, robot, platform="dingtalk", secret="SECabc")
    customer = make_customer(team["sales"], "华联超市")
    make_contract(customer, lines=(("苹果", "100", "100.00"),))
    assert jobs.wait_for_all(30)
    [call] = robot.received
    query = parse_qs(urlsplit(call["path"]).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    expected = hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert base64.b64decode(sign) == expected
    assert query["key"] == ["abc"]

"""Messages to a department's team chat (企业微信 / 钉钉 group robot): a lost order or a signed
contract from the department's amount on, a complaint past its response deadline.

The message is written in the transaction of what caused it (a ``webhook_messages`` row with one
key per event, so an event is posted once) and posted after the commit by a background job
(``portal.jobs``): the request never waits for the chat. Each post times out after
WEBHOOK_TIMEOUT_SECONDS and is tried WEBHOOK_ATTEMPTS times; what is still pending or failed is
tried again by ``flask send-webhooks`` (cron), which also posts the complaints that passed their
deadline since its last run.
"""
import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import quote_plus, urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext as _
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from portal import jobs
from portal.blueprints.complaints.queries import overdue_condition
from portal.database import utcnow
from portal.extensions import db
from portal.models import (
    Complaint,
    Contract,
    Customer,
    DepartmentWebhook,
    LostOrder,
    WebhookMessage,
    WebhookPlatform,
    WebhookStatus,
)
from portal.rendering import money

log = logging.getLogger(__name__)
_EVENTS = "webhook_events"
_POSTED = "webhook_posted"


def allowed_url(url: str) -> bool:
    """Only the chat platforms' robot addresses (WEBHOOK_ALLOWED_HOSTS), over https unless the host
    is local: the portal never posts to an address a user made up."""
    parts = urlsplit(url)
    hosts = current_app.config["WEBHOOK_ALLOWED_HOSTS"]
    if parts.hostname is None or parts.hostname not in hosts:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))


def payload(platform: str, title: str, lines: list[str], link: str) -> dict:
    """The platform's documented markdown message: 企业微信 ``{"msgtype": "markdown", "markdown":
    {"content"}}``, 钉钉 ``{"msgtype": "markdown", "markdown": {"title", "text"}}``."""
    body = "\n".join([f"**{title}**", *[f"> {line}" for line in lines], f"[{_('Open in the portal')}]({link})"])
    if platform == WebhookPlatform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    return {"msgtype": "markdown", "markdown": {"content": body}}


def _link(endpoint: str, **values) -> str:
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def _message_for(kind: str, record, hook: DepartmentWebhook) -> dict | None:
    customer = db.session.get(Customer, record.customer_id) if record.customer_id else None
    name = customer.name if customer else "—"
    if kind == "lost_order":
        if record.amount < hook.lost_order_from:
            return None
        return payload(hook.platform, _("Order lost: %(customer)s", customer=name),
                       [_("Amount: %(amount)s", amount=money(record.amount))],
                       _link("lost.orders"))
    if kind == "contract":
        if record.amount_gross < hook.contract_from:
            return None
        return payload(hook.platform, _("Contract signed: %(customer)s", customer=name),
                       [_("Contract %(number)s, %(amount)s", number=record.number, amount=money(record.amount_gross))],
                       _link("contracts.detail", contract_id=record.id))
    if kind == "complaint":
        if not hook.overdue_complaints:
            return None
        return payload(hook.platform, _("Complaint past its deadline: %(customer)s", customer=name),
                       [record.content[:120]], _link("complaints.detail", complaint_id=record.id))
    return None


def robots(session, department_ids) -> dict[int, DepartmentWebhook]:
    """The enabled robots of these departments, by department. One statement."""
    return {hook.department_id: hook for hook in session.scalars(select(DepartmentWebhook).where(
        DepartmentWebhook.department_id.in_(set(department_ids)), DepartmentWebhook.enabled.is_(True),
        DepartmentWebhook.archived_at.is_(None), DepartmentWebhook.url != ""))}


def queue(session, kind: str, record, hook: DepartmentWebhook | None) -> bool:
    """Add the message of one event to ``session`` when the department's robot wants it (once per event)."""
    if hook is None:
        return False
    key = f"{kind}:{record.id}"
    if session.scalar(select(WebhookMessage.id).where(WebhookMessage.event_key == key)) is not None:
        return False
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    if has_request_context():
        with force_locale(language):
            message = _message_for(kind, record, hook)
    else:
        with current_app.test_request_context("/"), force_locale(language):
            message = _message_for(kind, record, hook)
    if message is None:
        return False
    session.add(WebhookMessage(event_key=key, department_id=record.department_id, url=hook.url,
                               payload=json.dumps(message, ensure_ascii=False)))
    return True


@event.listens_for(Session, "after_flush")
def _collect(session, _context):
    for record in session.new:
        if isinstance(record, LostOrder):
            session.info.setdefault(_EVENTS, []).append(("lost_order", record))
        elif isinstance(record, Contract):
            session.info.setdefault(_EVENTS, []).append(("contract", record))


@event.listens_for(Session, "before_commit")
def _queue(session):
    # What the commit is about to flush counts too.
    if session.new:
        session.flush()
    events = session.info.pop(_EVENTS, None)
    if not events:
        return
    hooks = robots(session, [record.department_id for _kind, record in events])
    for kind, record in events:
        if record.department_id in hooks and queue(session, kind, record, hooks[record.department_id]):
            session.info[_POSTED] = True


@event.listens_for(Session, "after_commit")
def _post(session):
    if session.info.pop(_POSTED, False):
        jobs.start("webhooks", deliver_pending)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_EVENTS, None)
    session.info.pop(_POSTED, None)


def signed_url(url: str, secret: str, now: float) -> str:
    """A DingTalk robot with signing (加签): ``timestamp`` (ms) and ``sign`` = urlencoded base64 of
    HMAC-SHA256(secret, "<timestamp>\\n<secret>"), added to the address at each post."""
    timestamp = str(int(now * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={quote_plus(base64.b64encode(digest).decode())}"


def post(url: str, body: str) -> None:
    """POST the JSON message; raises on a timeout, an HTTP error or the robot's ``errcode`` ≠ 0."""
    request = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) as response:
        answer = response.read(10000)
    try:
        reply = json.loads(answer or b"{}")
    except ValueError:
        reply = {}
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        raise RuntimeError(f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}")


def deliver_pending() -> int:
    """Post every pending (or failed, not given up) message, each claimed first so two runs never
    post one twice; returns how many were posted."""
    attempts = current_app.config["WEBHOOK_ATTEMPTS"]
    ids = db.session.scalars(select(WebhookMessage.id).where(
        or_(WebhookMessage.status == WebhookStatus.PENDING,
            (WebhookMessage.status == WebhookStatus.FAILED) & (WebhookMessage.attempts < attempts * 3)))
        .order_by(WebhookMessage.id)).all()
    db.session.commit()
    posted = 0
    for message_id in ids:
        claimed = db.session.execute(update(WebhookMessage).where(
            WebhookMessage.id == message_id, WebhookMessage.status.in_((WebhookStatus.PENDING, WebhookStatus.FAILED)))
            .values(status=WebhookStatus.SENDING)).rowcount
        db.session.commit()
        if claimed != 1:
            continue
        message = db.session.get(WebhookMessage, message_id)
        url, body, error = message.url, message.payload, ""
        secret = db.session.scalar(select(DepartmentWebhook.secret).where(
            DepartmentWebhook.department_id == message.department_id, DepartmentWebhook.platform == WebhookPlatform.DINGTALK))
        db.session.commit()
        for attempt in range(attempts):
            try:
                if not allowed_url(url):
                    raise RuntimeError("address not allowed (PORTAL_WEBHOOK_ALLOWED_HOSTS)")
                post(signed_url(url, secret, time.time()) if secret else url, body)
                error = ""
                break
            except (OSError, RuntimeError, urllib.error.URLError) as failure:
                error = f"{type(failure).__name__}: {failure}"[:1000]
                if attempt + 1 < attempts:
                    time.sleep(current_app.config["WEBHOOK_RETRY_SECONDS"] * (attempt + 1))
        values = {"attempts": WebhookMessage.attempts + attempt + 1, "error": error}
        if error:
            values["status"] = WebhookStatus.FAILED
            log.warning("team chat message %s not posted: %s", message_id, error)
        else:
            values.update(status=WebhookStatus.SENT, sent_at=utcnow())
            posted += 1
        db.session.execute(update(WebhookMessage).where(WebhookMessage.id == message_id).values(**values))
        db.session.commit()
    return posted


def queue_overdue_complaints(now=None) -> int:
    """Messages for open complaints past their response deadline (not answered by ``respond_by``)."""
    now = now or utcnow()
    complaints = db.session.scalars(select(Complaint).join(
        DepartmentWebhook, DepartmentWebhook.department_id == Complaint.department_id).where(
        Complaint.archived_at.is_(None), overdue_condition(now), DepartmentWebhook.enabled.is_(True),
        DepartmentWebhook.overdue_complaints.is_(True))).all()
    hooks = robots(db.session, [complaint.department_id for complaint in complaints])
    queued = sum(1 for complaint in complaints if queue(db.session, "complaint", complaint, hooks.get(complaint.department_id)))
    db.session.commit()
    return queued

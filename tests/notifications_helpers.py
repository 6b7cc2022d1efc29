"""A local SMTP server for the digest tests (aiosmtpd, in the test process), and users' settings."""
import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import NotificationPreference


class Inbox:
    """Collects what the server accepts; ``refuse`` makes it answer every message with a 550."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.7.1 Mailbox unavailable"
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TLS": "none", "SMTP_USER": "",
                       "SMTP_SENDER": "crm@portal.test", "DIGEST_TIME": "00:00",
                       "PORTAL_BASE_URL": "http://crm.example.lan/"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


def subscribe(user, email_address: str | None = None, enabled: bool = True) -> str:
    address = email_address or f"{user.username}@example.test"
    db.session.add(NotificationPreference(user_id=user.id, email=address, digest_enabled=enabled))
    db.session.commit()
    return address


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a digest."""
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()

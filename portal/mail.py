"""Outgoing e-mail through the SMTP server in the settings (PORTAL_SMTP_*).

``send_email`` raises ``MailError`` with the server's answer when the message is not accepted;
the caller records it.
"""
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html.parser import HTMLParser

from flask import current_app


class MailError(RuntimeError):
    """The message was not handed over: no server configured, unreachable, or refused."""


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST") and current_app.config.get("SMTP_SENDER"))


def build_message(to: str, subject: str, text: str, html: str, sender_name: str = "") -> EmailMessage:
    """One message with a plain-text part and an HTML alternative."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((sender_name, config["SMTP_SENDER"])) if sender_name else config["SMTP_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["SMTP_SENDER"].rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_email(message: EmailMessage) -> None:
    config = current_app.config
    if not mail_configured():
        raise MailError("no SMTP server configured (PORTAL_SMTP_HOST, PORTAL_SMTP_SENDER)")
    host, port, timeout, tls = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT_SECONDS"], config["SMTP_TLS"]
    try:
        if tls == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                server.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            refused = server.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(_describe(error)) from error
    if refused:
        raise MailError("; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in refused.items()))


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"[:1000]


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "tr", "li", "ul", "table", "section", "br"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skipping = 0  # inside <head>: the title is the subject already

    SKIPPED = {"head", "style", "script"}

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag in ("td", "th"):
            self.parts.append("  ")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if href.startswith("http") else "")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        if tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.parts.append(f" <{href}>")
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """A readable plain-text version of a simple HTML message: blocks on their own lines, list
    items with a dash, links followed by their address."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif not blank and text:
            text.append("")
            blank = True
    return "\n".join(text).strip() + "\n"

"""Response headers and redirect checks."""
from urllib.parse import urlsplit

# The shortest password the portal accepts, on the forms and on the command line.
MIN_PASSWORD_LENGTH = 8

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # ECharts (static/charts.js) styles its drawing and tooltips through the CSSOM (element.style),
        # which style-src does not govern, so no 'unsafe-inline' is needed for the charts.
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site only.

    Werkzeug turns ``/\\t/evil`` into ``//evil`` and ``https:evil`` into ``https:///evil``, so
    anything but a plain absolute path is refused: no scheme, no host, no backslash, no control
    character, no leading ``//``.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def refuse_nul_bytes():
    """Refuse a request whose query or form holds a NUL character (400), before any view reads it.

    Nobody types one, PostgreSQL cannot store one in text, and SQLite would store a string that
    other tools cut short: such input is an attack or a broken client, never data to keep.
    """
    from flask import abort, request

    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)

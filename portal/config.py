"""Settings, read from the environment so one build serves every deployment."""
import os
import secrets
from pathlib import Path


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_path: str) -> str:
    """Return PORTAL_SECRET_KEY, or a key generated once into ``instance/secret_key``.

    Several app servers behind one load balancer must share the key: set PORTAL_SECRET_KEY there.
    """
    configured = os.environ.get("PORTAL_SECRET_KEY")
    if configured:
        return configured
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def default_settings(instance_path: str) -> dict:
    """The settings every deployment starts from."""
    sqlite_path = Path(instance_path) / "portal.db"
    secure = _flag("PORTAL_SECURE_COOKIES")
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get("PORTAL_DATABASE_URL", f"sqlite:///{sqlite_path}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 14,
        # A salesperson may leave a form open through a long call; eight hours covers a working day.
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # The largest upload: a customer import (20 MB by default, 30 MB at most) with its form.
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_CN", "en"],
        # Failed-login counters shared by every worker process of this box (portal/ratelimit_storage.py);
        # several app servers share redis://HOST:6379 instead.
        "RATELIMIT_STORAGE_URI": os.environ.get("PORTAL_RATELIMIT_STORAGE", f"sqlite:///{Path(instance_path) / 'login-limits.db'}"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_USERNAME": os.environ.get("PORTAL_LOGIN_LIMIT_PER_USERNAME", "5 per 5 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("PORTAL_LOGIN_LIMIT_PER_ADDRESS", "30 per 5 minutes"),
        "PAGE_SIZE": 50,
        # How many backups `flask backup` keeps in instance/backups/ (the newest; older ones are removed).
        "BACKUP_KEEP": int(os.environ.get("PORTAL_BACKUP_KEEP", "14")),
        # A background job (an import) stamps its row at most this often while it works…
        "JOB_HEARTBEAT_SECONDS": 5,
        # …and a job working with an older stamp was interrupted (its process stopped).
        "JOB_STALE_AFTER_SECONDS": int(os.environ.get("PORTAL_JOB_STALE_AFTER_SECONDS", "45")),
        # Customer page views wait in each worker process at most this long before they are written
        # to the access log (portal/access_log.py); 0: only when a read needs them (the tests).
        "ACCESS_LOG_FLUSH_SECONDS": float(os.environ.get("PORTAL_ACCESS_LOG_FLUSH_SECONDS", "1")),
        # Where links in e-mails and the calendar feed point (the address people open the portal at).
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://localhost:8000"),
        # The morning digest (`flask send-digests`, run from cron): sent from this company time on.
        "DIGEST_TIME": os.environ.get("PORTAL_DIGEST_TIME", "07:30"),
        "DIGEST_MAX_ATTEMPTS": int(os.environ.get("PORTAL_DIGEST_MAX_ATTEMPTS", "5")),
        "SMTP_HOST": os.environ.get("PORTAL_SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("PORTAL_SMTP_PORT", "25")),
        # none, starttls or ssl
        "SMTP_TLS": os.environ.get("PORTAL_SMTP_TLS", "none").strip().lower(),
        "SMTP_USER": os.environ.get("PORTAL_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("PORTAL_SMTP_PASSWORD", ""),
        "SMTP_SENDER": os.environ.get("PORTAL_SMTP_SENDER", ""),
        "SMTP_TIMEOUT_SECONDS": 20,
        # Team chat robots: the hosts the portal may post to, the timeout and tries of one post.
        "WEBHOOK_ALLOWED_HOSTS": [host.strip() for host in os.environ.get(
            "PORTAL_WEBHOOK_ALLOWED_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com").split(",") if host.strip()],
        "WEBHOOK_TIMEOUT_SECONDS": 5,
        "WEBHOOK_ATTEMPTS": 3,
        "WEBHOOK_RETRY_SECONDS": 2,
    }

"""Entry point for the production WSGI server: ``gunicorn wsgi:app`` (``make run``) or ``waitress-serve wsgi:app``."""
from portal import create_app

app = create_app()

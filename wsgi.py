"""Entry point for the production WSGI server: ``waitress-serve wsgi:app``."""
from portal import create_app

app = create_app()

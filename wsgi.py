"""Entry point for the production WSGI server: ``gunicorn wsgi:app`` (``make run``) or ``waitress-serve wsgi:app``."""
from portal import create_app
from portal.warm_up import FreezeAfterWarmUp

app = create_app()
app.wsgi_app = FreezeAfterWarmUp(app.wsgi_app)

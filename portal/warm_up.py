"""What a production worker does once it has loaded the application (``wsgi.py``)."""
import gc

# Requests a worker serves before what it built while warming up (compiled templates and statements,
# mappers) joins the objects the garbage collector no longer walks.
WARM_UP_REQUESTS = 200


class FreezeAfterWarmUp:
    """Keep the objects that live as long as the process out of the garbage collector's full passes.

    A worker holds ~240,000 such objects (the models, routes, templates, compiled statements); each
    full pass walked them all: 150–400 ms every few seconds under load, stalling the request the
    worker was serving and the ones queued behind it (the load run's p95, bench/README.md). They are
    frozen (``gc.freeze``) once loaded, and again once the first requests have built the rest."""

    def __init__(self, wsgi_app, after: int = WARM_UP_REQUESTS):
        self.wsgi_app, self.after, self.served = wsgi_app, after, 0
        gc.freeze()

    def __call__(self, environ, start_response):
        self.served += 1
        if self.served == self.after:
            gc.freeze()
        return self.wsgi_app(environ, start_response)

"""Page or fragment, decided in one place.

htmx 2 sends ``HX-Request`` on boosted navigation and history restores too, so a bare
``if htmx`` would serve a fragment where a whole page is wanted. A fragment is returned only when
the request targets the element the fragment fills.
"""
from flask import make_response, render_template, request

from portal.extensions import htmx


def wants_fragment(target_id: str) -> bool:
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return htmx.target == target_id


def render_page_or_fragment(page_template: str, fragment_template: str, target_id: str, status: int = 200, **context):
    """Render the fragment for an htmx request aimed at ``#target_id``, else the whole page."""
    template = fragment_template if wants_fragment(target_id) else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def form_status(form) -> int:
    """422 when a submitted form has errors (htmx is configured to swap it), else 200."""
    return 422 if request.method == "POST" and form.errors else 200

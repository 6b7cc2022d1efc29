"""The search box's results: as one types (a fragment under the box) and as a page."""
from flask import redirect, request
from flask_login import current_user

from portal.access import login_required
from portal.blueprints.search import bp
from portal.blueprints.search.queries import search
from portal.rendering import render_page_or_fragment, wants_fragment

RESULTS_TARGET = "quicksearch-results"


@bp.route("/search")
@login_required
def index():
    """Records the text names, grouped by kind, only those the user may see. Without JavaScript
    the box opens this page, which goes straight to the record when exactly one is found."""
    q = request.args.get("q", "")
    fragment = wants_fragment(RESULTS_TARGET)
    results = search(current_user, q, limit=8 if fragment else 25)
    hits = results.hits
    if not fragment and len(hits) == 1:
        return redirect(hits[0].url)
    return render_page_or_fragment("search/page.html", "search/_results.html", RESULTS_TARGET, results=results)

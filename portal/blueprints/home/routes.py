from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from portal.access import login_required
from portal.blueprints.home import bp
from portal.blueprints.home.queries import month_for
from portal.reminders import FIRST, LATER, first_folded_labels, folded_keys, folded_line, read_at, sections_for, split_folded
from portal.rendering import render_page_or_fragment
from portal.rules.followups import company_today

# The element the rest of My day replaces once it has loaded.
LATER_TARGET = "my-day-later"


def _hr_lands_on_performance():
    """HR has no customer work: it lands on the performance pages."""
    if current_user.role == "hr" and "performance.index" in current_app.view_functions:
        return redirect(url_for("performance.index"))
    return None


@bp.route("/")
@login_required
def index():
    """My day: the month so far (a head: the department's), then the first reminders (follow-ups
    due, alerts); the other areas' reminders (quotes, payments, deliveries, birthdays…) follow in
    one htmx request after the first paint (``later``). Sections with nothing due are folded into
    one line at the end, which the later part writes: it is told which of the first were folded."""
    if (redirected := _hr_lands_on_performance()) is not None:
        return redirected
    sections, clear = split_folded(sections_for(current_user, FIRST))
    later_url = url_for("home.later", **({"folded": keys} if (keys := folded_keys(clear)) else {}))
    return render_template("home/index.html", month=month_for(current_user, company_today()), sections=sections,
                           department=current_user.role == "head", later_target=LATER_TARGET, later_url=later_url)


@bp.route("/my-day/later")
@login_required
def later():
    """The rest of My day's reminders: the htmx fragment the page loads after its first paint, or a
    page of its own (the link shown while it loads, for a browser without scripts)."""
    if (redirected := _hr_lands_on_performance()) is not None:
        return redirected
    later_sections = sections_for(current_user, LATER)
    sections, clear = split_folded(later_sections)
    folded = request.args.get("folded", "")[:500]
    line = folded_line(clear, first_folded_labels(folded, current_user))
    # A head's and the administrator's department-wide lists may be a few minutes old: say so.
    refresh_url = url_for("home.later", refresh=1, **({"folded": folded} if folded else {}))
    return render_page_or_fragment("home/later.html", "home/_later.html", LATER_TARGET, sections=sections, clear=line,
                                   later_target=LATER_TARGET, read_at=read_at(later_sections), refresh_url=refresh_url)

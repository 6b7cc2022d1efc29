from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.access import login_required
from portal.blueprints.home import bp
from portal.blueprints.home.queries import month_for
from portal.reminders import folded_line, sections_for, split_folded
from portal.rules.followups import company_today


@bp.route("/")
@login_required
def index():
    """My day: the month so far (a head: the department's), then each area's reminders for the user
    (follow-ups due, expiring quotes…), those with nothing due folded into one line. HR has no
    customer work: it lands on the performance pages."""
    if current_user.role == "hr" and "performance.index" in current_app.view_functions:
        return redirect(url_for("performance.index"))
    sections, clear = split_folded(sections_for(current_user))
    return render_template("home/index.html", month=month_for(current_user, company_today()), sections=sections,
                           clear=folded_line(clear), department=current_user.role == "head")

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.access import login_required
from portal.blueprints.home import bp
from portal.reminders import sections_for


@bp.route("/")
@login_required
def index():
    """My day: each area's reminders for the user (follow-ups due, expiring quotes…). HR has no
    customer work: it lands on the performance pages."""
    if current_user.role == "hr" and "performance.index" in current_app.view_functions:
        return redirect(url_for("performance.index"))
    return render_template("home/index.html", sections=sections_for(current_user))

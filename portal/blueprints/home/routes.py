from flask import render_template
from flask_login import current_user

from portal.access import login_required
from portal.blueprints.home import bp
from portal.reminders import sections_for


@bp.route("/")
@login_required
def index():
    """My day: each area's reminders for the user (follow-ups due, expiring quotes…)."""
    return render_template("home/index.html", sections=sections_for(current_user))

"""A record's change history, as a fragment any record page can load."""
from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal.access import Area, can_see_area, get_scoped_or_404, login_required
from portal.audit import history_of
from portal.extensions import db
from portal.records import access_area_of, model_for_record_type

bp = Blueprint("audit", __name__)


@bp.route("/history/<record_type>/<int:record_id>")
@login_required
def history(record_type: str, record_id: int):
    """The audit entries of one record the user may see."""
    model = model_for_record_type(record_type)
    if model is None:
        abort(404)
    area = access_area_of(model)
    if not can_see_area(current_user, area):
        abort(403 if area is Area.ADMINISTRATION else 404)
    if area is Area.ADMINISTRATION:
        record = db.get_or_404(model, record_id)
    else:
        record = get_scoped_or_404(model, record_id, current_user, area)
    return render_template("audit/_history.html", history=history_of(record))

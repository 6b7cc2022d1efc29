"""Administration: users, departments, archived records."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from portal.blueprints.admin import routes  # noqa: E402,F401

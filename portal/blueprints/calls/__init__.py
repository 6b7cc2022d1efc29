"""Inbound-call registration (来电登记): find or create the caller's customer and log the call in one step."""
from flask import Blueprint

bp = Blueprint("calls", __name__)

from portal.blueprints.calls import routes  # noqa: E402,F401

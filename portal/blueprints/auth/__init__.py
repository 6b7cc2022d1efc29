"""Logging in and out, first-run set-up, own password and language."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.blueprints.auth import routes  # noqa: E402,F401

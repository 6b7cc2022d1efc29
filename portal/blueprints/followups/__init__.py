"""Follow-ups on a customer (跟进/回访), the My day reminders built on them, and their demo data."""
from flask import Blueprint

bp = Blueprint("followups", __name__)

from portal.blueprints.followups import demo, reminders, routes  # noqa: E402,F401

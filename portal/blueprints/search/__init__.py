"""One search box in the header: records by number (quotes, contracts), phone, customer or contact
name and product, only those the user may see."""
from flask import Blueprint

bp = Blueprint("search", __name__)

from portal.blueprints.search import routes  # noqa: E402,F401

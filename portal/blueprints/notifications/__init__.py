"""What reaches people where they are: the morning digest by e-mail (``flask send-digests``), a
private calendar feed of what is due, set on each user's notification settings page; a
department's team chat robot, set by its head."""
from flask import Blueprint

# cli_group=None: `flask send-digests`, beside the other operations commands.
bp = Blueprint("notifications", __name__, cli_group=None)

from portal.blueprints.notifications import cli, routes, webhooks  # noqa: E402,F401

"""`flask send-digests`: run from cron (see the README); sends today's digests not sent yet."""
import click

from portal.blueprints.notifications import bp
from portal.blueprints.notifications.digest import send_digests
from portal.mail import mail_configured


@bp.cli.command("send-digests")
def send_digests_command():
    """Send each user's morning digest (once a day, from PORTAL_DIGEST_TIME on; failed ones again)."""
    if not mail_configured():
        raise click.ClickException("set PORTAL_SMTP_HOST and PORTAL_SMTP_SENDER to send e-mail")
    result = send_digests()
    if result.too_early:
        click.echo("before the digest time: nothing sent")
        return
    click.echo(f"sent {len(result.sent)}, nothing to say {len(result.empty)}, failed {len(result.failed)}")
    for username in result.failed:
        click.echo(f"failed: {username}", err=True)
    if result.failed:
        raise SystemExit(1)


@bp.cli.command("send-webhooks")
def send_webhooks_command():
    """Post complaints past their deadline and any team chat message not posted yet."""
    from portal.blueprints.notifications.webhooks import deliver_pending, queue_overdue_complaints

    queued = queue_overdue_complaints()
    posted = deliver_pending()
    click.echo(f"complaints past their deadline {queued}, messages posted {posted}")

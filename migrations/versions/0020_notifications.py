"""notification preferences (digest address, calendar feed token), the record of digests sent, each
department's team-chat webhook and the messages posted to it

Revision ID: 0020_notifications
Revises: 0019_instalments_due
Create Date: 2026-12-06 21:00:00

"""
import sqlalchemy as sa
from alembic import op

from portal.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0020_notifications'
down_revision = '0019_instalments_due'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('digest_enabled', sa.Boolean(), nullable=False),
        sa.Column('feed_token_hash', sa.String(length=64), nullable=True),
        sa.Column('feed_created_at', UTCDateTime(), nullable=True),
        sa.Column('archived_at', UTCDateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint('user_id', name=op.f('uq_notification_preferences_user_id')),
        sa.UniqueConstraint('feed_token_hash', name=op.f('uq_notification_preferences_feed_token_hash')),
    )
    op.create_table(
        'digest_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('claimed_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_sends_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_sends')),
        sa.UniqueConstraint('user_id', 'day', name='uq_digest_sends_user_day'),
    )
    op.create_table(
        'department_webhooks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=10), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('lost_order_from', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('contract_from', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('overdue_complaints', sa.Boolean(), nullable=False),
        sa.Column('archived_at', UTCDateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_department_webhooks_department_id_departments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_department_webhooks')),
        sa.UniqueConstraint('department_id', name=op.f('uq_department_webhooks_department_id')),
    )
    op.create_table(
        'webhook_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_key', sa.String(length=80), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_webhook_messages_department_id_departments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_messages')),
        sa.UniqueConstraint('event_key', name=op.f('uq_webhook_messages_event_key')),
    )


def downgrade():
    op.drop_table('webhook_messages')
    op.drop_table('department_webhooks')
    op.drop_table('digest_sends')
    op.drop_table('notification_preferences')

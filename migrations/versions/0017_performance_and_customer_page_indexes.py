"""follow-ups indexed by person, time, kind and archiving, so a period's follow-ups per person and
kind are counted from the index alone (the performance pages); lost orders indexed by customer
(the customer page read all of them)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_follow_ups_user_happened', table_name='follow_ups')
    op.create_index('ix_follow_ups_user_happened', 'follow_ups', ['user_id', 'happened_at', 'kind', 'archived_at'], unique=False)
    op.create_index('ix_lost_orders_customer_lost_on', 'lost_orders', ['customer_id', 'lost_on'], unique=False)


def downgrade():
    op.drop_index('ix_lost_orders_customer_lost_on', table_name='lost_orders')
    op.drop_index('ix_follow_ups_user_happened', table_name='follow_ups')
    op.create_index('ix_follow_ups_user_happened', 'follow_ups', ['user_id', 'happened_at'], unique=False)

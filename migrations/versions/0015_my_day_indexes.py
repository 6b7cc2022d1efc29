"""indexes for My day: unreviewed lost orders counted from the index, unanswered complaints by deadline,
a salesperson's sent quotes by sending time

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_lost_orders_department_reviewed', table_name='lost_orders')
    op.create_index('ix_lost_orders_department_reviewed', 'lost_orders', ['department_id', 'reviewed_at', 'archived_at'], unique=False)
    unanswered = sa.text('first_response_at IS NULL')
    op.create_index('ix_complaints_department_unanswered', 'complaints', ['department_id', 'respond_by'], unique=False,
                    sqlite_where=unanswered, postgresql_where=unanswered)
    op.create_index('ix_quotes_owner_status_sent', 'quotes', ['owner_id', 'status', 'sent_at'], unique=False)


def downgrade():
    op.drop_index('ix_quotes_owner_status_sent', table_name='quotes')
    op.drop_index('ix_complaints_department_unanswered', table_name='complaints')
    op.drop_index('ix_lost_orders_department_reviewed', table_name='lost_orders')
    op.create_index('ix_lost_orders_department_reviewed', 'lost_orders', ['department_id', 'reviewed_at'], unique=False)

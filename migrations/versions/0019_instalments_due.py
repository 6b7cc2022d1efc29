"""instalments indexed by due date, so My day's money due this week reads the week's instalments
instead of every instalment of the salesperson's (or the department's) contracts; a person's open
quotes indexed by status and validity with their amount, so My day counts them from the index

Revision ID: 0019_instalments_due
Revises: 0018
Create Date: 2026-12-06 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_instalments_due'
down_revision = '0019_job_heartbeats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_instalments_due', 'instalments', ['due_on', 'archived_at', 'contract_id', 'amount', 'running_total'],
                    unique=False)
    op.create_index('ix_quotes_owner_open', 'quotes', ['owner_id', 'status', 'valid_until', 'is_latest', 'archived_at', 'amount_gross'],
                    unique=False)


def downgrade():
    op.drop_index('ix_quotes_owner_open', table_name='quotes')
    op.drop_index('ix_instalments_due', table_name='instalments')

"""the lost-order analysis of a department reads its decided quotes from one covering index

Revision ID: 0022_report_indexes
Revises: 0021_access_log
Create Date: 2026-12-07 00:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_report_indexes'
down_revision = '0021_access_log'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_quotes_department_decided', 'quotes',
                    ['department_id', 'decided_on', 'status', 'is_latest', 'archived_at', 'owner_id'], unique=False)


def downgrade():
    op.drop_index('ix_quotes_department_decided', table_name='quotes')

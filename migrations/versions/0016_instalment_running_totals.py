"""instalments keep their plan's running total (what payments must reach to cover each), so My day
finds open instalments from an index instead of a running sum over every open contract's plan

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 11:03:27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The same rule as ``portal.models.contracts.running_totals_statement``: the live instalments of the
# contract up to and including this one in (due date, position, id) order, rounded to the fen (SQLite
# adds in floating point).
BACKFILL = """
UPDATE instalments SET running_total = (
    SELECT round(coalesce(sum(earlier.amount), 0), 2) FROM instalments AS earlier
    WHERE earlier.contract_id = instalments.contract_id AND earlier.archived_at IS NULL
      AND (earlier.due_on < instalments.due_on
           OR (earlier.due_on = instalments.due_on
               AND (earlier.position < instalments.position
                    OR (earlier.position = instalments.position AND earlier.id <= instalments.id))))
) WHERE archived_at IS NULL
"""


def upgrade():
    op.add_column('instalments', sa.Column('running_total', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))
    op.execute(BACKFILL)
    op.drop_index('ix_instalments_contract_due', table_name='instalments')
    op.create_index('ix_instalments_contract_due', 'instalments', ['contract_id', 'archived_at', 'due_on', 'amount', 'running_total'], unique=False)


def downgrade():
    op.drop_index('ix_instalments_contract_due', table_name='instalments')
    op.create_index('ix_instalments_contract_due', 'instalments', ['contract_id', 'archived_at', 'due_on', 'amount'], unique=False)
    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.drop_column('running_total')

"""a salesperson's contracts indexed with what the contract list totals (count, amount, received),
so the list's figures for a salesperson are read from the index alone

Revision ID: 0023_contract_owner_totals
Revises: 0022_report_indexes
Create Date: 2026-12-07 00:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023_contract_owner_totals'
down_revision = '0022_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index('ix_contracts_owner_totals',
                              ['owner_id', 'archived_at', 'signed_on', 'status', 'amount_gross', 'amount_received'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_owner_totals')

"""each archivable table's archived rows indexed on their own (the archive page read the newest
archived rows of every table by scanning it); graded customers indexed by department, grade,
owner and stage (the staffing page counts them from the index); the company's pool indexed on its
own (the administrator's pool page counted it by scanning every customer)

Revision ID: 0024_archived_and_staffing
Revises: 0023_contract_owner_totals
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0024_archived_and_staffing'
down_revision = '0023_contract_owner_totals'
branch_labels = None
depends_on = None

# Every table with archived_at (the business records), as of this revision.
ARCHIVABLE_TABLES = (
    'churn_dismissals', 'company_settings', 'competitors', 'complaint_steps', 'complaints', 'contacts',
    'contract_lines', 'contracts', 'customer_losses', 'customers', 'deliveries', 'delivery_lines',
    'department_webhooks', 'departments', 'follow_ups', 'grade_policies', 'instalments', 'lookup_values',
    'lost_orders', 'notification_preferences', 'payments', 'pool_rules', 'products', 'quote_lines', 'quotes',
    'sales_targets', 'users',
)


def upgrade():
    archived = sa.text('archived_at IS NOT NULL')
    for table in ARCHIVABLE_TABLES:
        op.create_index(f'ix_{table}_archived', table, ['archived_at'], unique=False,
                        sqlite_where=archived, postgresql_where=archived)
    graded = sa.text('archived_at IS NULL AND intention_grade IS NOT NULL')
    op.create_index('ix_customers_department_grades', 'customers',
                    ['department_id', 'intention_grade', 'owner_id', 'stage', 'archived_at'],
                    unique=False, sqlite_where=graded, postgresql_where=graded)
    in_pool = sa.text('pool_since IS NOT NULL AND archived_at IS NULL')
    op.create_index('ix_customers_pool', 'customers', ['pool_since', 'department_id', 'archived_at'], unique=False,
                    sqlite_where=in_pool, postgresql_where=in_pool)


def downgrade():
    op.drop_index('ix_customers_pool', table_name='customers')
    op.drop_index('ix_customers_department_grades', table_name='customers')
    for table in ARCHIVABLE_TABLES:
        op.drop_index(f'ix_{table}_archived', table_name=table)

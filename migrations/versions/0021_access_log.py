"""the access log: exports and customer page views, indexed by person and day

Revision ID: 0021_access_log
Revises: 0019_instalments_due
Create Date: 2026-12-06 21:20:00

"""
import sqlalchemy as sa
from alembic import op

from portal.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0021_access_log'
down_revision = '0020_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=True),
        sa.Column('filters', sa.String(length=500), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_access_log_department_id_departments')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_log_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    op.create_index('ix_access_log_user_day', 'access_log', ['user_id', 'day', 'kind', 'row_count'], unique=False)
    op.create_index('ix_access_log_department_day', 'access_log', ['department_id', 'day', 'user_id', 'kind'], unique=False)
    op.create_index('ix_access_log_day', 'access_log', ['day', 'user_id', 'kind', 'row_count'], unique=False)


def downgrade():
    op.drop_index('ix_access_log_day', table_name='access_log')
    op.drop_index('ix_access_log_department_day', table_name='access_log')
    op.drop_index('ix_access_log_user_day', table_name='access_log')
    op.drop_table('access_log')

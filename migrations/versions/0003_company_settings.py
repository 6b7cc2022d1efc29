"""company settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:40:00

"""
from alembic import op
import sqlalchemy as sa
import portal.database  # noqa: F401  (custom column types)


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('archived_at', portal.database.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', portal.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_settings')),
    sa.UniqueConstraint('key', name=op.f('uq_company_settings_key'))
    )


def downgrade():
    op.drop_table('company_settings')

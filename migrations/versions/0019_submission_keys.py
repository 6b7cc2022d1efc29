"""one-time keys of create forms, unique, so a repeated submission creates nothing twice

Revision ID: 0019_submission_keys
Revises: 0018
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa
import portal.database  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0019_submission_keys'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=100), nullable=False),
    sa.Column('result_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', portal.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('key', name=op.f('uq_submission_keys_key'))
    )
    op.create_index('ix_submission_keys_created_at', 'submission_keys', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_submission_keys_created_at', table_name='submission_keys')
    op.drop_table('submission_keys')

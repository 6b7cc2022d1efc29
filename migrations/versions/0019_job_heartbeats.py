"""import jobs carry the run working on them and its heartbeat, so a job whose process stopped is
seen as interrupted and can run again

Revision ID: 0019_job_heartbeats
Revises: 0018
Create Date: 2026-12-06 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.database


# revision identifiers, used by Alembic.
revision = '0019_job_heartbeats'
down_revision = '0019_submission_keys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs') as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', portal.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('interrupted_step', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('decisions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs') as batch_op:
        batch_op.drop_column('decisions')
        batch_op.drop_column('interrupted_step')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('owner')

"""follow-ups indexed by person, time, kind and archiving, so a period's follow-ups per person and
kind are counted from the index alone (the performance pages)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_follow_ups_user_happened', table_name='follow_ups')
    op.create_index('ix_follow_ups_user_happened', 'follow_ups', ['user_id', 'happened_at', 'kind', 'archived_at'], unique=False)


def downgrade():
    op.drop_index('ix_follow_ups_user_happened', table_name='follow_ups')
    op.create_index('ix_follow_ups_user_happened', 'follow_ups', ['user_id', 'happened_at'], unique=False)

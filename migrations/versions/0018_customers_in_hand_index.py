"""a salesperson's customers in hand (not in the pool, not archived) indexed with what the pool's
recycling rules test, so My day's birthdays and its pool warning read the index instead of every
one of the salesperson's customers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

IN_HAND = "pool_since IS NULL AND archived_at IS NULL"


def upgrade():
    op.create_index('ix_customers_owner_in_hand', 'customers',
                    ['owner_id', 'intention_grade', 'last_follow_up_at', 'stage', 'locked', 'owned_since', 'created_at'],
                    unique=False, sqlite_where=sa.text(IN_HAND), postgresql_where=sa.text(IN_HAND))


def downgrade():
    op.drop_index('ix_customers_owner_in_hand', table_name='customers')

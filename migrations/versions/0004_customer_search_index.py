"""customer search index: bigrams of search_text, FTS5 on SQLite, GIN on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:40:00

"""
from alembic import op
import sqlalchemy as sa

from portal.rules.customers import text_grams


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER customers_grams_insert AFTER INSERT ON customers BEGIN
         INSERT INTO customer_grams(rowid, search_grams) VALUES (new.id, new.search_grams);
       END""",
    """CREATE TRIGGER customers_grams_delete AFTER DELETE ON customers BEGIN
         INSERT INTO customer_grams(customer_grams, rowid, search_grams) VALUES ('delete', old.id, old.search_grams);
       END""",
    """CREATE TRIGGER customers_grams_update AFTER UPDATE OF search_grams ON customers BEGIN
         INSERT INTO customer_grams(customer_grams, rowid, search_grams) VALUES ('delete', old.id, old.search_grams);
         INSERT INTO customer_grams(rowid, search_grams) VALUES (new.id, new.search_grams);
       END""",
)


def upgrade():
    with op.batch_alter_table('customers') as batch_op:
        batch_op.add_column(sa.Column('search_grams', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, search_text FROM customers")).all()
    if rows:
        connection.execute(
            sa.text("UPDATE customers SET search_grams = :grams WHERE id = :id"),
            [{"id": row.id, "grams": text_grams(row.search_text)} for row in rows],
        )
    if connection.dialect.name == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE customer_grams USING fts5(search_grams, content='customers', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute("INSERT INTO customer_grams(customer_grams) VALUES ('rebuild')")
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute("CREATE INDEX ix_customers_search_grams ON customers USING gin (string_to_array(search_grams, ' '))")


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER customers_grams_{name}")
        op.execute("DROP TABLE customer_grams")
    else:
        op.execute("DROP INDEX ix_customers_search_grams")
    with op.batch_alter_table('customers') as batch_op:
        batch_op.drop_column('search_grams')

"""contact phone keys: the digits of each contact's phone and mobile, indexed for duplicate matching;
contacts indexed by customer and birthday

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:40:00

"""
from alembic import op
import sqlalchemy as sa

from portal.rules.customers import phone_digits


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.add_column('contacts', sa.Column('phone_key', sa.String(length=40), server_default='', nullable=False))
    op.add_column('contacts', sa.Column('mobile_key', sa.String(length=40), server_default='', nullable=False))
    # The keys of the contacts already there, computed by the same rule the portal saves with.
    connection = op.get_bind()
    contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('phone', sa.String), sa.column('mobile', sa.String),
                        sa.column('phone_key', sa.String), sa.column('mobile_key', sa.String))
    update = (contacts.update().where(contacts.c.id == sa.bindparam('contact_id'))
              .values(phone_key=sa.bindparam('new_phone_key'), mobile_key=sa.bindparam('new_mobile_key')))
    after = 0
    while True:
        rows = connection.execute(
            sa.select(contacts.c.id, contacts.c.phone, contacts.c.mobile)
            .where(contacts.c.id > after, (contacts.c.phone != '') | (contacts.c.mobile != ''))
            .order_by(contacts.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(update, [
            {'contact_id': row.id, 'new_phone_key': phone_digits(row.phone), 'new_mobile_key': phone_digits(row.mobile)}
            for row in rows
        ])
        after = rows[-1].id
    # Partial: most contacts have no landline, and empty keys are never looked up.
    for column in ('phone_key', 'mobile_key'):
        where = sa.text(f"{column} != ''")
        op.create_index(f'ix_contacts_{column}', 'contacts', [column], unique=False, sqlite_where=where, postgresql_where=where)
    op.create_index('ix_contacts_customer_birthday', 'contacts', ['customer_id', 'birthday_md'], unique=False)
    op.drop_index('ix_contacts_customer_id', table_name='contacts')


def downgrade():
    op.create_index('ix_contacts_customer_id', 'contacts', ['customer_id'], unique=False)
    op.drop_index('ix_contacts_customer_birthday', table_name='contacts')
    op.drop_index('ix_contacts_mobile_key', table_name='contacts')
    op.drop_index('ix_contacts_phone_key', table_name='contacts')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('mobile_key')
        batch_op.drop_column('phone_key')

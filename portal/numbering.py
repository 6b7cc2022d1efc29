"""Gap-free numbers per year (quotes, contracts): a counter row per year, raised in the transaction
that saves the numbered record."""
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db


def take_yearly_number(counter_model, year: int) -> int:
    """The next number of ``year`` from ``counter_model`` (columns ``year``, ``last_number``), taken
    inside the caller's transaction.

    One upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike)
    creates the year's counter or raises it, and holds the row (PostgreSQL) or the database
    (SQLite, ``BEGIN IMMEDIATE``) until the record is committed: people saving at the same moment
    get consecutive numbers, the year's first records included, and a save that fails rolls its
    number back, so there are no gaps.
    """
    dialect_insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(counter_model).values(year=year, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[counter_model.year], set_={"last_number": counter_model.last_number + 1}
    ).returning(counter_model.last_number)
    return db.session.execute(statement).scalar_one()


def keyset_page(statement, id_column, after: int | None, page_size: int) -> tuple[list, int | None]:
    """One page of ``statement`` newest first (``id_column`` descending, below ``after``), and the
    cursor of the next page (None on the last)."""
    if after:
        statement = statement.where(id_column < after)
    found = db.session.execute(statement.order_by(id_column.desc()).limit(page_size + 1)).all()
    rows = found[:page_size]
    return rows, (rows[-1].id if len(found) > page_size else None)

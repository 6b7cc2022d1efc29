"""Indexed substring search over customers' ``search_text``: a bigram index instead of a scan.

``LIKE '%term%'`` cannot use an index, so a rare term read every customer (26 ms at 100,000 for the
administrator). Chinese search terms are often two characters (鲜果, 张伟), below the three a
trigram index needs, so the index holds character **bigrams**: ``customers.search_grams`` is every
pair of neighbouring characters of each run of letters and digits in ``search_text``
(``portal.rules.customers.text_grams``), kept by ``refresh_keys`` whenever ``search_text`` is.

- SQLite: an FTS5 table ``customer_grams`` over that column (external content, kept in step by
  triggers on ``customers``); a run of a search term is the phrase of its bigrams, which matches
  exactly the runs that contain it.
- PostgreSQL: a GIN index on ``string_to_array(search_grams, ' ')``; a term matches customers whose
  bigrams include all of its bigrams.

The index only narrows: the caller keeps its ``LIKE`` on ``search_text``, which decides, so a term
the index cannot serve (a single character) or serves loosely (punctuation) still finds exactly
what the scan found.
"""
from sqlalchemy import bindparam, func, literal_column, select, table

from portal.models import Customer
from portal.rules.customers import bigrams, character_runs

FTS_TABLE = "customer_grams"
GIN_INDEX = "ix_customers_search_grams"


def outside_the_models(object_, name, type_, reflected, _compare_to) -> bool:
    """Alembic's ``include_object``: False for the index's own objects (the FTS5 table and its
    shadow tables, the expression index), which the migration makes and no model declares."""
    return not (name and (name.startswith(FTS_TABLE) or name == GIN_INDEX))


def gram_query(term: str, dialect: str) -> str | None:
    """What the index is asked for ``term`` (already folded like ``search_text``), or None when the
    term has no run of two characters or more and so cannot use the index.

    SQLite: an FTS5 query, one quoted phrase of bigrams per run, all required.
    PostgreSQL: the term's bigrams, space-separated, all required (``@>``).
    """
    runs = [run for run in character_runs(term) if len(run) >= 2]
    if not runs:
        return None
    if dialect == "sqlite":
        return " AND ".join('"' + " ".join(bigrams(run)) + '"' for run in runs)
    return " ".join(gram for run in runs for gram in bigrams(run))


def gram_clause(parameter: str, dialect: str):
    """The index condition on ``Customer`` with the query (``gram_query``) bound as ``parameter``."""
    if dialect == "sqlite":
        matching = (
            select(literal_column("rowid"))
            .select_from(table(FTS_TABLE))
            .where(literal_column(FTS_TABLE).op("MATCH")(bindparam(parameter)))
        )
        return Customer.id.in_(matching.scalar_subquery())
    return func.string_to_array(Customer.search_grams, " ").op("@>")(func.string_to_array(bindparam(parameter), " "))


def indexed_contains(term: str, dialect: str, parameter: str = "gram_term"):
    """The index condition for one term with its value bound, or None when it cannot help."""
    query = gram_query(term, dialect)
    if query is None:
        return None
    return gram_clause(parameter, dialect).params({parameter: query})

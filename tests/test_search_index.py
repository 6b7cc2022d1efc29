"""The customer search index (portal/search.py) finds exactly what the unindexed scan finds.

A fixed register of customers with Chinese, Latin, full-width and phone data is searched with
two-character Chinese terms, longer ones, full-width input, phone fragments, single characters and
punctuation; the list, the inbound-call matching and the duplicate check must return exactly the
customers whose ``search_text`` contains every term — the scan the index replaced.
"""
import pytest
from sqlalchemy import select

from customer_factories import new_customer
from portal.blueprints.calls.matching import match_customers
from portal.blueprints.customers.queries import CustomerFilters, find_duplicates, list_customers, search_terms
from portal.extensions import db
from portal.models import Contact, Customer, Role
from portal.rules.customers import bigrams, character_runs, refresh_keys, text_grams
from portal.search import gram_clause, gram_query

REGISTER = [
    ("上海鲜果贸易有限公司", "021-6488 1234", "13812345678", ["张伟", "李娜"]),
    ("北京鲜果超市", "010 8888 6666", "13900001111", ["王芳"]),
    ("鲜花果品店", None, "15866667777", ["张伟明"]),
    ("ＡＢＣ水果有限公司", "+86 755 1234 5678", None, ["Tom Lee"]),
    ("abc Fresh 果蔬", None, "18612341234", []),
    ("华联超市（南京路店）", "021-5555-0000", "13700000000", ["赵敏"]),
    ("果果果果", None, None, ["果"]),
    ("张家港伟业果业", None, "13612345670", ["陈伟"]),
    ("a@b.com 贸易", None, None, []),
    ("联华超市", None, "13855556666", ["华联"]),
]
TERMS = [
    "鲜果", "张伟", "伟", "果", "果果", "果果果", "超市", "华联", "联华", "鲜果贸易", "鲜果 超市",
    "ABC", "ａｂｃ", "abc水果", "fresh", "tom", "TOM LEE", "1234", "13812", "5678", "８８８８",
    "021-6488", "+86 755", "0000", "a@b", "@", "b.com", "（南京路", "不存在", "zz", "3",
]


@pytest.fixture
def register(make_department, make_user):
    department = make_department("水果部")
    owner = make_user(Role.SALES, department)
    admin = make_user(Role.ADMIN)
    for name, phone, mobile, contacts in REGISTER:
        new_customer(owner, name=name, phone=phone, mobile=mobile, contacts=contacts)
    return {"owner": owner, "admin": admin}


def _scanned(q: str) -> set[int]:
    """What the unindexed search finds: every term a substring of ``search_text``."""
    terms = search_terms(q)
    customers = db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))).all()
    return {customer.id for customer in customers if all(term in customer.search_text for term in terms)}


def _listed(user, q: str) -> set[int]:
    ids, after = set(), None
    while True:
        page = list_customers(user, CustomerFilters(q=q), after, page_size=4)
        ids |= {row.id for row in page.rows}
        if not page.next_cursor:
            return ids
        after = page.next_cursor


def test_text_grams_are_the_bigrams_of_each_run_of_letters_and_digits():
    assert character_runs("上海鲜果 021-6488,abc") == ["上海鲜果", "021", "6488", "abc"]
    assert bigrams("鲜果店") == ["鲜果", "果店"] and bigrams("果") == []
    assert text_grams("鲜果店 13 a") == "鲜果 果店 13"


def test_a_term_without_two_neighbouring_letters_or_digits_does_not_use_the_index():
    assert gram_query("果", "sqlite") is None and gram_query("@-", "postgresql") is None
    assert gram_query("鲜果店", "sqlite") == '"鲜果 果店"'
    assert gram_query("a@bc", "postgresql") == "bc"


@pytest.mark.parametrize("q", TERMS)
def test_the_list_finds_exactly_what_the_scan_finds(register, q):
    expected = _scanned(q)
    assert _listed(register["admin"], q) == expected
    assert _listed(register["owner"], q) == expected


def test_the_fixed_register_exercises_the_index(register):
    """Guards the set above: the interesting terms really do match, and more than one customer."""
    assert len(_scanned("鲜果")) == 2 and len(_scanned("张伟")) == 2 and len(_scanned("1234")) >= 4
    assert _scanned("ａｂｃ") == _scanned("abc") and len(_scanned("abc")) == 2


@pytest.mark.parametrize("q", [term for term in TERMS if gram_query(term.lower(), "sqlite")])
def test_the_index_alone_never_misses_a_customer_the_scan_finds(register, q):
    dialect = db.engine.dialect.name
    for term in search_terms(q):
        query = gram_query(term, dialect)
        if query is None:
            continue
        found = set(db.session.scalars(select(Customer.id).where(gram_clause("g", dialect)), {"g": query}))
        assert _scanned(term) <= found


@pytest.mark.parametrize("fragment", ["1234", "13812", "6666", "0000", "５６７８"])
def test_inbound_call_matching_by_phone_fragment_finds_what_the_scan_finds(register, fragment):
    expected = _scanned(fragment)
    found = {customer.id for customer in match_customers(register["admin"], fragment, limit=100)}
    assert found == expected


def test_the_duplicate_check_finds_a_phone_through_the_index(register):
    matches = find_duplicates("另一个名字", ["138 1234 5678"], "")
    assert [match.customer.name for match in matches] == ["上海鲜果贸易有限公司"]


def test_the_index_follows_every_change_of_the_customer(register):
    customer = db.session.scalar(select(Customer).where(Customer.name == "北京鲜果超市"))
    customer.name = "北京蔬菜超市"
    customer.contacts.append(Contact(name="欧阳修"))
    refresh_keys(customer)
    db.session.commit()
    assert customer.id not in _listed(register["admin"], "鲜果")
    assert customer.id in _listed(register["admin"], "蔬菜") and customer.id in _listed(register["admin"], "欧阳")
    customer.contacts[0].archived_at = customer.created_at
    refresh_keys(customer)
    db.session.commit()
    assert customer.id not in _listed(register["admin"], "王芳")
    for q in ("鲜果", "蔬菜", "欧阳", "王芳"):
        assert _listed(register["admin"], q) == _scanned(q)

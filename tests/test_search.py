"""The header's search box and the grouped navigation bar."""
import re

import pytest
from contracts_factories import make_contract
from customer_factories import new_customer
from quotes_factories import make_product, make_quote

from conftest import login_as
from portal.models import Contact
from portal.navigation import GROUPS, navigation_menu
from portal.rules.search import NumberQuery, number_query, phone_fragment, searches_names

RESULTS = {"HX-Request": "true", "HX-Target": "quicksearch-results"}


def _suggest(client, q):
    response = client.get("/search", query_string={"q": q}, headers=RESULTS)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def records(world):
    """In department A: the salesperson's own customer with a quote and contracts; a colleague's
    customer; in department B: an outsider's customer with the same kind of records."""
    sales = world.actors["sales"]
    own = new_customer(sales, name="鲜果超市", phone="021-5555 1234", contacts=[Contact(name="王小明", mobile="13912345678")])
    colleague = new_customer(world.colleague, name="同事的果园", mobile="13700001111")
    outsider = new_customer(world.outsider, name="外部门果行", mobile="13612349999")
    quote = make_quote(own)  # BJ<year>-0001
    make_contract(own)  # HT<year>-0001
    make_contract(colleague)  # -0002
    make_contract(outsider)  # -0003
    contract = make_contract(own)  # -0004
    outsider_contract = make_contract(outsider)  # -0005
    outsider_quote = make_quote(outsider)  # BJ<year>-0002
    return {"own": own, "colleague": colleague, "outsider": outsider, "quote": quote, "contract": contract,
            "outsider_contract": outsider_contract, "outsider_quote": outsider_quote}


# --- the rules --------------------------------------------------------------------------------


def test_number_query_reads_numbers_with_or_without_prefix_and_year():
    assert number_query("0004") == NumberQuery("", None, 4, None)
    assert number_query("BJ2026-0004") == NumberQuery("BJ", 2026, 4, None)
    assert number_query(" ht2026-0012-s2 ") == NumberQuery("HT", 2026, 12, None)
    assert number_query("BJ2026-0004-R2") == NumberQuery("BJ", 2026, 4, 2)
    assert number_query("ＢＪ２０２６－０００４") == NumberQuery("BJ", 2026, 4, None)
    assert number_query("2026-0004") == NumberQuery("", 2026, 4, None)
    assert number_query("0000") is None
    assert number_query("鲜果") is None
    assert number_query("BJ-") is None


def test_phone_fragments_need_four_digits():
    assert phone_fragment("1234") == "1234"
    assert phone_fragment("139 1234") == "1391234"
    assert phone_fragment("123") is None
    assert phone_fragment("鲜果") is None
    assert searches_names("鲜果") and searches_names("1234") and not searches_names("12")


# --- finding records ----------------------------------------------------------------------------


def test_finds_a_contract_by_its_sequence_alone(client, world, records):
    login_as(client, world.actors["sales"])
    html = _suggest(client, "0004")
    assert records["contract"].number in html
    assert f'/contracts/{records["contract"].id}"' in html


def test_finds_a_customer_by_four_digits_of_a_phone(client, world, records):
    login_as(client, world.actors["sales"])
    assert "鲜果超市" in _suggest(client, "1234")  # the customer's phone and its contact's mobile
    assert "鲜果超市" in _suggest(client, "5678")  # a contact's mobile


def test_finds_a_customer_by_a_contacts_name(client, world, records):
    login_as(client, world.actors["sales"])
    assert "鲜果超市" in _suggest(client, "王小明")


def test_finds_a_quote_by_its_full_number(client, world, records):
    login_as(client, world.actors["sales"])
    quote = records["quote"]
    html = _suggest(client, quote.number)
    assert f'/quotes/{quote.id}"' in html
    # The same number with a contract's prefix names no quote.
    assert f'/quotes/{quote.id}"' not in _suggest(client, quote.number.replace("BJ", "HT"))


def test_finds_a_product_for_every_role(client, world, records):
    make_product(code="SG-777", name="红富士苹果")
    for role in ("sales", "hr"):
        login_as(client, world.actors[role])
        assert "SG-777" in _suggest(client, "富士")


def test_results_are_grouped_by_kind(client, world, records):
    make_product(code="P-1234", name="礼盒")
    login_as(client, world.actors["admin"])
    html = _suggest(client, "1234")
    kinds = re.findall(r'<h2 class="search-kind">([^<]+)</h2>', html)
    assert kinds == ["客户", "商品信息"]


def _visible(client, q) -> set[str]:
    return set(re.findall(r'href="(/(?:customers|quotes|contracts)/\d+)"', _suggest(client, q)))


@pytest.mark.parametrize("role", ["sales", "head", "outsider_head", "hr", "admin"])
def test_never_finds_a_record_outside_the_users_scope(client, world, records, role):
    actor = world.outsider_head if role == "outsider_head" else world.actors[role]
    login_as(client, actor)
    own, colleague, outsider = (f"/customers/{records[key].id}" for key in ("own", "colleague", "outsider"))
    quotes = {f"/quotes/{records[key].id}" for key in ("quote", "outsider_quote")}
    contracts = {f"/contracts/{number}" for number in range(1, 6)}
    found = set()
    for q in ("果", "1234", "1111", "9999", "0001", "0002", "0003", "0004", "0005", records["outsider_quote"].number,
              records["outsider_contract"].number, "外部门果行", "同事的果园"):
        found |= _visible(client, q)
    expected_customers = {
        "sales": {own},
        "head": {own, colleague},
        "outsider_head": {outsider},
        "hr": set(),
        "admin": {own, colleague, outsider},
    }[role]
    assert {url for url in found if url.startswith("/customers/")} == expected_customers
    outsider_quote = f"/quotes/{records['outsider_quote'].id}"
    outsider_contracts = {f"/contracts/{records['outsider_contract'].id}"}
    if role == "admin":
        assert quotes <= found and contracts - found == set()
    elif role == "outsider_head":
        assert outsider_quote in found and outsider_contracts <= found
        assert f"/quotes/{records['quote'].id}" not in found
        assert f"/contracts/{records['contract'].id}" not in found
    else:
        assert outsider_quote not in found and not outsider_contracts & found
    if role == "hr":
        assert found == set()
    found_contracts = {url for url in found if url.startswith("/contracts/")}
    if role == "sales":
        # Not the colleague's contract (-0002) either.
        assert f"/contracts/{records['contract'].id}" in found_contracts
        assert all(_contract_owner_is(url, world.actors["sales"]) for url in found_contracts)


def _contract_owner_is(url, user) -> bool:
    from portal.extensions import db
    from portal.models import Contract

    return db.session.get(Contract, int(url.rsplit("/", 1)[1])).owner_id == user.id


def test_search_page_redirects_to_the_only_result_and_lists_several(client, world, records):
    login_as(client, world.actors["sales"])
    response = client.get("/search", query_string={"q": records["quote"].number})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/quotes/{records['quote'].id}")
    response = client.get("/search", query_string={"q": "0001"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert records["quote"].number in html and "HT" in html
    # Enter opens the first result: it has the focus (and only it).
    assert html.count(" autofocus") == 1
    assert re.search(r'<a class="result" href="/quotes/\d+" autofocus>', html)
    assert " autofocus" not in _suggest(client, "0001")
    assert client.get("/search", query_string={"q": "没有这样的记录"}).status_code == 200


def test_search_answers_anything_typed(client, world, records):
    login_as(client, world.actors["admin"])
    for q in ("", " ", "%", "_", "\\", "'", "BJ9999999-0001", "9" * 100, "0" * 7, "-R1", "HT-S1", "ＢＪ"):
        assert client.get("/search", query_string={"q": q}, headers=RESULTS).status_code == 200
        assert client.get("/search", query_string={"q": q}).status_code in (200, 302)


# --- the navigation bar -------------------------------------------------------------------------


def _bar(client) -> str:
    html = client.get("/search").get_data(as_text=True)
    return html[html.index('<nav class="mainnav"'):html.index("</nav>")]


@pytest.mark.parametrize("role", ["sales", "head", "hr", "admin"])
def test_the_bar_has_at_most_seven_entries(client, world, role):
    login_as(client, world.actors[role])
    bar = _bar(client)
    top = bar.count("<summary") + bar.count('class="navlink')
    assert 1 <= top <= 7
    # No empty group and no group of one: those show as plain links.
    for menu in re.findall(r'<div class="navmenu">(.*?)</div>', bar, re.S):
        assert menu.count("<a ") >= 2


def test_hr_sees_plain_links_to_its_few_pages(client, world):
    login_as(client, world.actors["hr"])
    bar = _bar(client)
    assert "<details" not in bar
    assert 'href="/performance' in bar and "/customers/" not in bar and "/contracts/" not in bar


def test_admin_sees_every_group(client, world):
    login_as(client, world.actors["admin"])
    bar = _bar(client)
    assert bar.count("<details") == len(GROUPS)
    assert 'href="/payments/"' in bar and 'href="/deliveries/"' in bar


def test_the_current_section_is_marked(client, world, records):
    login_as(client, world.actors["sales"])
    html = client.get("/contracts/").get_data(as_text=True)
    sales_group = re.search(r'<details class="navgroup current" data-nav-group="sales">(.*?)</details>', html, re.S)
    assert sales_group and 'aria-current="true"' in sales_group.group(0)
    assert 'href="/contracts/" aria-current="page"' in sales_group.group(1)
    # A contract's own page marks its section too.
    html = client.get(f"/contracts/{records['contract'].id}").get_data(as_text=True)
    assert re.search(r'<details class="navgroup current" data-nav-group="sales">', html)
    assert html.count("navgroup current") == 1


def test_navigation_menu_groups_and_hides(world):
    entries = {entry.key: entry for entry in navigation_menu(world.actors["sales"], "customers.index")}
    assert "administration" not in entries
    assert [item.endpoint for item in entries["customers"].items] == [
        "customers.index", "pool.index", "lost.customers", "complaints.index"]
    assert entries["customers"].current and not entries["sales"].current


def test_a_page_names_a_known_group():
    from portal.navigation import NavItem, register_nav_item

    with pytest.raises(ValueError):
        register_nav_item(NavItem("nowhere.index", "x", frozenset()), group="elsewhere")


def test_the_menu_order_does_not_depend_on_which_area_was_imported_first(world):
    """Areas register their pages on import; the bar keeps its order whoever imports first."""
    from portal import navigation

    saved = list(navigation.NAV_ITEMS)
    try:
        navigation.NAV_ITEMS.reverse()
        entries = {entry.key: entry for entry in navigation_menu(world.actors["sales"], "customers.index")}
        assert [item.endpoint for item in entries["customers"].items] == [
            "customers.index", "pool.index", "lost.customers", "complaints.index"]
    finally:
        navigation.NAV_ITEMS[:] = saved

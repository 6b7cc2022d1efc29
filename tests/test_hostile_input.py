"""The inputs that once answered 500, each on its own, and the families of hostile input around
them: an out-of-range integer is an invalid choice (422, the message in Chinese) in a form, an
ignored filter in a URL, a 404 in a path — and nothing is saved."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from conftest import login_as
from followups_factories import make_customer, make_follow_up, make_team
from portal.extensions import db
from portal.forms import MAX_DB_INT, bounded_int, parse_decimal
from portal.models import Contact, Customer, FollowUp, GradePolicy

HUGE = "999999999999999999999999999999"
JUST_TOO_BIG = str(MAX_DB_INT + 1)


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def customer(team):
    customer = make_customer(team["sales"])
    customer.contacts.append(Contact(name="王经理"))
    db.session.commit()
    return customer


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the conversion itself ----------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [("1", 1), (" 42 ", 42), ("１２３", 123), (7, 7), (str(MAX_DB_INT), MAX_DB_INT)])
def test_bounded_int_accepts_positive_whole_numbers_up_to_the_column_limit(value, expected):
    assert bounded_int(value) == expected


@pytest.mark.parametrize(
    "value", [HUGE, JUST_TOO_BIG, "0", "-1", "", "1.5", "1e3", "NaN", "a\x00", True, None, 1.0, "+1", "1" * 400]
)
def test_bounded_int_refuses_everything_else(value):
    with pytest.raises(ValueError):
        bounded_int(value)


@pytest.mark.parametrize("value", ["1e309", "NaN", "-Infinity", "12345678901.00", "1.005", "abc", "1" * 50])
def test_parse_decimal_refuses_non_finite_huge_and_over_precise_numbers(value):
    with pytest.raises(ValueError):
        parse_decimal(value)


def test_parse_decimal_reads_full_width_digits_and_thousands_separators():
    assert parse_decimal("１,２３４.５") == Decimal("1234.50")


# --- list filters and cursors in the URL: ignored, never a 500 -----------------------------------


@pytest.mark.parametrize("name", ["owner", "department", "type", "source", "after"])
@pytest.mark.parametrize("value", [HUGE, JUST_TOO_BIG, "-5", "0", "1e309"])
def test_customer_list_ignores_out_of_range_filters(client, team, customer, name, value):
    login_as(client, team["admin"])
    response = client.get("/customers/", query_string={name: value})
    assert response.status_code == 200
    assert customer.name in response.get_data(as_text=True)


def test_customer_list_with_repeated_parameters_uses_the_first(client, team, customer):
    login_as(client, team["admin"])
    response = client.get(f"/customers/?owner={HUGE}&owner={team['sales'].id}")
    assert response.status_code == 200


def test_user_list_ignores_a_huge_department(client, team):
    login_as(client, team["admin"])
    assert client.get("/admin/users", query_string={"department": HUGE}).status_code == 200


@pytest.mark.parametrize("value", [HUGE, JUST_TOO_BIG, "0", "-3"])
def test_follow_up_page_ignores_a_bad_cursor(client, team, customer, value):
    make_follow_up(customer, team["sales"])
    login_as(client, team["sales"])
    response = client.get(f"/customers/{customer.id}/follow-ups", query_string={"before": value})
    assert response.status_code == 200


@pytest.mark.parametrize("path", [f"/customers/{HUGE}", f"/customers/{JUST_TOO_BIG}/edit", f"/admin/users/{HUGE}"])
def test_an_id_in_the_path_beyond_the_integer_columns_is_not_found(client, team, path):
    login_as(client, team["admin"])
    assert client.get(path).status_code == 404


# --- forms: an invalid choice with its message, nothing saved ------------------------------------


def _customer_form(**fields):
    data = {"name": "新客户", "stage": "potential", "customer_type_id": "0", "source_id": "0", "intention_grade": ""}
    data.update(fields)
    return data


@pytest.mark.parametrize("field", ["owner_id", "customer_type_id", "source_id"])
@pytest.mark.parametrize("value", [HUGE, JUST_TOO_BIG, "-1", "abc"])
def test_new_customer_with_an_out_of_range_select_is_refused_in_chinese(client, make_user, team, field, value):
    head = make_user("head", team["fruit"])  # Chinese pages
    login_as(client, head)
    response = client.post("/customers/new", data=_customer_form(**{"owner_id": str(team["sales"].id), field: value}))
    assert response.status_code == 422
    assert "选项无效" in response.get_data(as_text=True)
    assert _count(Customer) == 0


def test_edit_customer_with_a_huge_owner_is_refused(client, team, customer):
    login_as(client, team["head"])
    form = _customer_form(owner_id=HUGE, version=str(customer.version))
    response = client.post(f"/customers/{customer.id}/edit", data=form)
    assert response.status_code == 422
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert db.session.get(Customer, customer.id).name == customer.name


@pytest.mark.parametrize("version", [HUGE, JUST_TOO_BIG, "-1", "NaN", ""])
def test_edit_customer_with_a_huge_version_is_a_conflict_not_an_error(client, team, customer, version):
    login_as(client, team["sales"])
    response = client.post(f"/customers/{customer.id}/edit", data=_customer_form(name="改名", version=version))
    assert response.status_code == 409
    assert db.session.get(Customer, customer.id).name == customer.name


@pytest.mark.parametrize("version", [HUGE, JUST_TOO_BIG])
def test_edit_contact_with_a_huge_version_is_a_conflict_not_an_error(client, team, customer, version):
    contact = customer.contacts[0]
    login_as(client, team["sales"])
    response = client.post(
        f"/customers/{customer.id}/contacts/{contact.id}/edit", data={"name": "改名", "version": version}
    )
    assert response.status_code == 409
    assert db.session.get(Contact, contact.id).name == "王经理"


@pytest.mark.parametrize("value", [HUGE, JUST_TOO_BIG, "-1", "1.0"])
def test_call_with_a_huge_customer_is_refused(client, team, customer, value):
    login_as(client, team["sales"])
    response = client.post("/calls/new", data={"customer": value, "summary": "来电询价"})
    assert response.status_code == 422
    assert "Pick the caller" in response.get_data(as_text=True)
    assert _count(FollowUp) == 0


# --- the other families: NUL bytes, long strings, non-finite numbers, impossible dates, empties ----


@pytest.mark.parametrize("where", ["form", "query"])
def test_a_nul_byte_is_refused_before_any_view_and_saves_nothing(client, team, where):
    login_as(client, team["sales"])
    if where == "form":
        response = client.post("/customers/new", data=_customer_form(name="华联\x00超市"))
    else:
        response = client.get("/customers/", query_string={"q": "华\x00"})
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert _count(Customer) == 0


def test_a_ten_thousand_character_name_is_refused_beside_the_field(client, team):
    login_as(client, team["sales"])
    response = client.post("/customers/new", data=_customer_form(name="长" * 10_000))
    assert response.status_code == 422
    assert "Field cannot be longer than 200 characters." in response.get_data(as_text=True)
    assert _count(Customer) == 0


@pytest.mark.parametrize("value", ["1e309", "NaN", "Infinity", HUGE, "１２", "0"])
def test_grade_interval_refuses_non_finite_and_out_of_range_numbers(client, team, value):
    login_as(client, team["admin"])
    data = {"grade": "E", "interval_days": value, "preferred_mode": "visit", "position": "0"}
    response = client.post("/settings/grades", data=data)
    if value == "１２":  # full-width digits are a number like any other
        assert response.status_code == 303
        assert db.session.scalar(select(GradePolicy.interval_days).where(GradePolicy.grade == "E")) == 12
    else:
        assert response.status_code == 422
        assert db.session.scalar(select(GradePolicy).where(GradePolicy.grade == "E")) is None


@pytest.mark.parametrize("value", ["9999-99-99", "2026-02-30", "0000-00-00", "99999-01-01"])
def test_an_impossible_date_is_refused(client, team, customer, value):
    login_as(client, team["sales"])
    response = client.post("/customers/new", data=_customer_form(next_follow_up_on=value))
    assert response.status_code == 422
    assert _count(Customer) == 1


def test_empty_required_fields_are_refused(client, team):
    login_as(client, team["sales"])
    response = client.post("/customers/new", data=_customer_form(name=""))
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert _count(Customer) == 0


@pytest.mark.parametrize("page", [HUGE, JUST_TOO_BIG, "0", "-2"])
def test_user_list_ignores_a_bad_page_number(client, team, page):
    login_as(client, team["admin"])
    response = client.get("/admin/users", query_string={"page": page})
    assert response.status_code == 200
    assert team["sales"].username in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/complaints/?to=9999-12-31", "/complaints/?from=0001-01-01", "/complaints/summary?kind=month&on=9999-12-31",
    "/performance/?kind=month&on=9999-12-31", "/performance/?kind=custom&start=0001-01-01&end=0001-01-02",
    "/lost/analysis?kind=month&on=9999-12-31", "/contracts/?from=0001-01-01&to=9999-12-31",
    "/deliveries/?from=9999-12-31", "/payments/?to=0001-01-01",
])
def test_dates_at_the_ends_of_the_calendar_are_ignored_not_an_error(client, team, url):
    """A day whose neighbour or other-time-zone midnight does not exist (0001-01-01, 9999-12-31)."""
    login_as(client, team["admin"])
    assert client.get(url).status_code in (200, 422)


@pytest.mark.parametrize("url", [f"/performance/targets?department={HUGE}", f"/performance/targets?year={HUGE}",
                                 "/performance/targets?year=-5", f"/grading/customers?grade=AA&after={HUGE}"])
def test_report_arguments_out_of_range_are_ignored(client, team, url):
    login_as(client, team["admin"])
    assert client.get(url).status_code in (200, 302)

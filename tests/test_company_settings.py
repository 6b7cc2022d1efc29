"""Company settings: declared by areas, edited by the administrator, typed, audited, version-checked."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from conftest import login_as
from portal.company_settings import GROUP_ORDER, SETTINGS, SettingDefinition, get_setting, register_setting
from portal.extensions import db
from portal.models import AuditEntry, CompanySetting, Role


@pytest.fixture
def test_settings():
    """Two numeric settings as an area would declare them, removed again after the test."""
    added = [
        register_setting(SettingDefinition("test.days", "Valid days", kind="int", default=30, group="Test", minimum=1, maximum=365)),
        register_setting(
            SettingDefinition("test.rate", "Tax rate", kind="decimal", default=Decimal("13"), group="Test", minimum=0, maximum=100)
        ),
    ]
    yield added
    for definition in added:
        SETTINGS.pop(definition.key)
    GROUP_ORDER[:] = [group for group in GROUP_ORDER if group is not added[0].group]


@pytest.fixture
def admin(client, make_user):
    user = make_user(Role.ADMIN, language="en")
    login_as(client, user)
    return user


def _form(client, **changes):
    page = client.get("/settings/company").get_data(as_text=True)
    fingerprint = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    data = {"fingerprint": fingerprint, "company__name": "鲜果贸易有限公司", "test__days": "30", "test__rate": "13"}
    # Every other setting on the page (areas add theirs) keeps its current value.
    for key, definition in SETTINGS.items():
        data.setdefault(key.replace(".", "__"), definition.to_text(get_setting(key)))
    data.update(changes)
    return data


def test_defaults_until_changed_then_typed_values(app, client, admin, test_settings):
    assert get_setting("test.days") == 30 and get_setting("test.rate") == Decimal("13")
    response = client.post("/settings/company", data=_form(client, test__days="45", test__rate="9.5"))
    assert response.status_code == 303
    assert get_setting("test.days") == 45
    assert get_setting("test.rate") == Decimal("9.5")
    assert get_setting("company.name") == "鲜果贸易有限公司"
    stored = db.session.scalar(select(CompanySetting).where(CompanySetting.key == "test.days"))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.record_id == stored.id)).all()
    assert [entry.action for entry in entries] == ["create"]


def test_unchanged_defaults_are_not_stored(client, admin, test_settings):
    client.post("/settings/company", data=_form(client, company__name=""))
    assert db.session.scalars(select(CompanySetting)).all() == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"test__days": "0"}, "Enter a value from 1 to 365."),
        ({"test__days": "99999999999999999999999"}, "Enter a whole number."),
        ({"test__days": ""}, "Enter a value."),
        ({"test__rate": "NaN"}, "Enter a number, like 1234.50."),
        ({"test__rate": "1e309"}, "Enter a number no larger than"),
        ({"test__rate": "101"}, "Enter a value from 0 to 100."),
        ({"company__name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(client, admin, test_settings, changes, message):
    response = client.post("/settings/company", data=_form(client, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(CompanySetting)).all() == []


def test_a_page_opened_before_someone_else_saved_is_refused(client, admin, test_settings):
    stale = _form(client, test__days="60")
    assert client.post("/settings/company", data=_form(client, test__days="45")).status_code == 303
    response = client.post("/settings/company", data=stale)
    assert response.status_code == 409
    assert "Someone else saved the settings" in response.get_data(as_text=True)
    assert get_setting("test.days") == 45


def test_the_settings_page_is_in_chinese_by_default(client, make_user):
    login_as(client, make_user(Role.ADMIN))
    body = client.get("/settings/company").get_data(as_text=True)
    assert "公司名称" in body and "开户行及账号" in body

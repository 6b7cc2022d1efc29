"""Sequences of saves on the editable forms: set, change, zero, clear, set again, the maximum, a
refused value, the page re-submitted as shown — in any order. After every step no answer is 5xx,
a refused save changes no row, and the page shows exactly what was last saved.

A Hypothesis state machine per form: the targets grid, the customer edit form, the company
settings and a draft quote's header. Each keeps a model of what the page should show and checks it after every step; the
runs are bounded (``max_examples`` × ``stateful_step_count`` requests).
"""
import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import delete, select

from conftest import login_as
from followups_factories import make_customer, make_team
from quotes_factories import make_quote
from portal.extensions import db
from portal.models import SalesTarget
from test_fuzz import _fingerprint_statement, _forms_of, _row_fingerprint

REFUSED = object()  # a value the form must refuse: 422, nothing saved
RUNS = settings(max_examples=15, stateful_step_count=20, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _shown_fields(client, url: str, action_path: str) -> dict:
    """The fields of the page's form posting to ``action_path``, as the page shows them."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    forms = [form for form in _forms_of(response.get_data(as_text=True))
             if form["method"] == "post" and form["action"].split("?")[0] == action_path]
    assert forms, f"no form posting to {action_path} on {url}"
    fields = dict(forms[0]["fields"])
    fields.pop("csrf_token", None)
    return {name: _textarea_text(value) for name, value in fields.items()}


def _textarea_text(value: str) -> str:
    """What a browser shows: the newline right after <textarea> is not part of the value."""
    for newline in ("\r\n", "\n"):
        if value.startswith(newline):
            return value[len(newline):]
    return value


class FormSequence(RuleBasedStateMachine):
    """Saves of one form in any order. A subclass sets ``FIELDS`` ({field: [(sent, shown or
    REFUSED)]}) and ``page_url``/``action_path`` in ``begin``; ``model`` is what the page shows."""

    FIELDS: dict = {}
    client = None  # set by the test before the run

    def __init__(self):
        super().__init__()
        self.model: dict[str, str] = {}
        self.fingerprint = _fingerprint_statement()
        self.last_shown: dict | None = None

    def shown(self) -> dict:
        return _shown_fields(self.client, self.page_url, self.action_path)

    def post(self, payload: dict):
        response = self.client.post(self.action_url, data=payload)
        assert response.status_code < 500, (response.status_code, payload)
        return response

    @initialize()
    def open_the_page(self):
        self.begin()
        shown = self.shown()
        self.model = {name: shown[name] for name in self.FIELDS}

    def begin(self):
        raise NotImplementedError

    @rule(data=st.data())
    def save(self, data):
        names = data.draw(st.lists(st.sampled_from(sorted(self.FIELDS)), min_size=1, max_size=3, unique=True))
        changes = {name: data.draw(st.sampled_from(self.FIELDS[name]), label=name) for name in names}
        as_shown = self.shown()
        self.last_shown = as_shown
        payload = {**as_shown, **{name: sent for name, (sent, _shown) in changes.items()}}
        before = _row_fingerprint(self.fingerprint)
        response = self.post(payload)
        if any(shown is REFUSED for _sent, shown in changes.values()) or self.refuses(payload):
            assert response.status_code == 422, (response.status_code, changes)
            assert _row_fingerprint(self.fingerprint) == before, f"a refused save changed rows: {changes}"
            return
        response = self.confirm(response, payload)
        assert response.status_code in (302, 303), (response.status_code, changes, response.get_data(as_text=True)[:2000])
        self.model.update({name: shown for name, (_sent, shown) in changes.items()})

    def refuses(self, payload: dict) -> bool:
        """Whether the values together break a rule of the form (each value alike being valid)."""
        return False

    def confirm(self, response, payload):
        """A form that asks to confirm something (a likely duplicate) before saving."""
        return response

    @rule()
    def resubmit_as_shown(self):
        """Saving the page unchanged keeps every value and writes nothing."""
        before = _row_fingerprint(self.fingerprint)
        response = self.confirm(self.post(self.shown()), self.shown())
        assert response.status_code in (302, 303), response.status_code
        assert _row_fingerprint(self.fingerprint) == before, "saving the page unchanged wrote rows"

    @invariant()
    def the_page_shows_what_was_saved(self):
        if not self.model:
            return
        shown = self.shown()
        assert {name: shown[name] for name in self.FIELDS} == self.model


# --- the targets grid ---------------------------------------------------------------------------

AMOUNTS = [("5000", "5000.00"), ("6000", "6000.00"), ("0", "0.00"), ("5,000.50", "5000.50"),
           ("9999999999.99", "9999999999.99"), ("", ""), ("  ", ""),
           ("10000000000", REFUSED), ("-1", REFUSED), ("12.345", REFUSED)]


def test_targets_saved_in_any_order(client, team):
    login_as(client, team["admin"])
    people = [team["sales"], team["colleague"]]

    class TargetsGrid(FormSequence):
        FIELDS = {f"t-{person.id}-{month}": AMOUNTS for person in people for month in (1, 12)}

        def begin(self):
            db.session.execute(delete(SalesTarget))  # each run starts from an empty grid
            db.session.commit()
            self.year = 2031
            self.page_url = self.action_url = f"/performance/targets?year={self.year}"
            self.action_path = "/performance/targets"

        @invariant()
        def one_row_per_month_and_the_live_ones_are_the_filled_cells(self):
            if not self.model:
                return
            rows = db.session.execute(select(SalesTarget.user_id, SalesTarget.month, SalesTarget.amount, SalesTarget.archived_at)
                                      .where(SalesTarget.year == self.year)).all()
            assert len(rows) == len({(user, month) for user, month, _amount, _archived in rows})
            live = {f"t-{user}-{month}": f"{amount:.2f}" for user, month, amount, archived in rows if archived is None}
            assert live == {name: shown for name, shown in self.model.items() if shown}

    TargetsGrid.client = client
    run_state_machine_as_test(TargetsGrid, settings=RUNS)


# --- the customer edit form ---------------------------------------------------------------------

_names = itertools.count(1)


def test_customer_edits_in_any_order(client, team):
    login_as(client, team["sales"])

    class CustomerEdit(FormSequence):
        FIELDS = {
            "name": [("华联超市", "华联超市"), ("  家乐福  ", "家乐福"), ("名" * 200, "名" * 200), ("名" * 201, REFUSED),
                     ("", REFUSED), ("   ", REFUSED)],
            "region": [("华东", "华东"), ("", ""), ("区" * 100, "区" * 100), ("区" * 101, REFUSED)],
            "phone": [("021-88886666", "021-88886666"), ("", ""), ("（０２１）８８８８６６６６", "(021)88886666"),
                      ("abc", REFUSED), ("1" * 21, REFUSED)],
            "notes": [("", ""), ("每周二上午联系", "每周二上午联系"), ("记" * 5000, "记" * 5000), ("记" * 5001, REFUSED)],
            "next_follow_up_on": [("", ""), ("2027-01-31", "2027-01-31"), ("2027-02-30", REFUSED), ("9999-99-99", REFUSED)],
        }

        def begin(self):
            customer = make_customer(team["sales"], name=f"序列客户{next(_names)}")
            self.page_url = self.action_url = self.action_path = f"/customers/{customer.id}/edit"

        def confirm(self, response, payload):
            if response.status_code == 200 and "confirm_duplicates" in response.get_data(as_text=True):
                return self.post({**payload, "confirm_duplicates": "y"})
            return response

        @rule()
        def a_form_opened_before_the_last_save_is_refused(self):
            if self.last_shown is None:
                return
            before = _row_fingerprint(self.fingerprint)
            stale = {**self.last_shown, "name": "过期表单"}
            if stale["version"] == self.shown()["version"]:
                return
            assert self.post(stale).status_code == 409
            assert _row_fingerprint(self.fingerprint) == before

    CustomerEdit.client = client
    run_state_machine_as_test(CustomerEdit, settings=RUNS)


# --- the company settings -----------------------------------------------------------------------


def test_settings_saved_in_any_order(client, team):
    login_as(client, team["admin"])

    class CompanySettings(FormSequence):
        FIELDS = {
            "company__name": [("果蔬贸易有限公司", "果蔬贸易有限公司"), ("", ""), ("  空格  ", "空格"), ("司" * 200, "司" * 200),
                              ("司" * 201, REFUSED)],
            "company__bank": [("", ""), ("工商银行 6222 0000", "工商银行 6222 0000"), ("行" * 500, "行" * 500),
                              ("行" * 501, REFUSED)],
            "quotes__valid_days": [("1", "1"), ("365", "365"), ("30", "30"), ("0", REFUSED), ("366", REFUSED),
                                   ("", REFUSED), ("9" * 30, REFUSED)],
            "pool__lock_limit": [("0", "0"), ("1000", "1000"), ("5", "5"), ("-1", REFUSED), ("1001", REFUSED)],
            "quotes__tax_rate": [("0", "0.0000"), ("100", "100.0000"), ("13", "13.0000"), ("6.5", "6.5000"),
                                 ("100.01", REFUSED), ("-0.01", REFUSED), ("", REFUSED), ("NaN", REFUSED)],
        }

        def begin(self):
            self.page_url = self.action_url = self.action_path = "/settings/company"

    CompanySettings.client = client
    run_state_machine_as_test(CompanySettings, settings=RUNS)


# --- a draft quote's header ---------------------------------------------------------------------


def test_quote_edits_in_any_order(client, team):
    login_as(client, team["sales"])
    customer = make_customer(team["sales"], name="报价序列客户")

    class QuoteEdit(FormSequence):
        FIELDS = {
            "quote_date": [("2026-03-01", "2026-03-01"), ("2026-03-31", "2026-03-31"), ("", REFUSED), ("2026-02-30", REFUSED)],
            "valid_until": [("2026-03-15", "2026-03-15"), ("2026-04-30", "2026-04-30"), ("", REFUSED)],
            "tax_rate": [("0", "0.00"), ("13", "13.00"), ("100", "100.00"), ("6.5", "6.50"), ("100.01", REFUSED),
                         ("-1", REFUSED), ("", REFUSED), ("1e309", REFUSED)],
            "payment_terms": [("", ""), ("货到付款", "货到付款"), ("款" * 300, "款" * 300), ("款" * 301, REFUSED)],
            "notes": [("", ""), ("含运费", "含运费"), ("注" * 5000, "注" * 5000), ("注" * 5001, REFUSED)],
        }

        def begin(self):
            quote = make_quote(customer, quote_date=date(2026, 3, 1))
            self.page_url = self.action_url = self.action_path = f"/quotes/{quote.id}/edit"

        def refuses(self, payload):
            return bool(payload["quote_date"] and payload["valid_until"]) and payload["valid_until"] < payload["quote_date"]

    QuoteEdit.client = client
    run_state_machine_as_test(QuoteEdit, settings=RUNS)

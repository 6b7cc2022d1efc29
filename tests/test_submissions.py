"""Exactly-once creation: every create form posted twice with its one-time key saves one record,
and the repeated post is answered with the record the first one made — through the routes, and
through a served portal with the posts sent at the same moment (waitress threads, gunicorn worker
processes; SQLite or PostgreSQL by PORTAL_TEST_DATABASE_URL)."""
import http.client
import io
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable
from urllib.parse import urlencode, urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from complaints_factories import category_ids, make_complaint
from conftest import login_as
from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal import jobs
from portal.database import utcnow
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import (
    LOST_REASON, Complaint, ComplaintStep, Contact, Contract, ContractLine, Customer, CustomerLoss, Delivery, FollowUp,
    ImportJob, Instalment, LostOrder, Payment, PoolEvent, Quote, QuoteLine, Stage, SubmissionKey,
)
from portal.rules.followups import company_today, wall_clock
from portal.rules.imports import CUSTOMER_COLUMNS
from portal.submissions import FIELD_NAME, new_submission_key
from quotes_factories import make_competitor, make_product, make_quote
from test_reliability import _session_cookie, served, served_by_worker_processes  # noqa: F401  (fixtures)


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@dataclass
class Case:
    """One create form: who posts what where, and how many of its records exist."""

    user: object
    url: str
    data: dict
    model: type
    headers: dict = field(default_factory=dict)
    # The page an htmx form was posted from (its answer is a fragment of that page).
    page: str | None = None
    # Rows of ``model`` one post makes (a payment plan: its instalments).
    rows: int = 1

    def count(self) -> int:
        db.session.expire_all()
        rows = db.session.scalar(select(func.count()).select_from(self.model))
        # The test's reads take SQLite's write gate of this process (the served portal's too).
        db.session.commit()
        return rows

    @property
    def htmx(self) -> bool:
        return "HX-Request" in self.headers


def _htmx(target: str, page: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": f"http://portal.test{page}"}


def _days(n: int) -> str:
    return (company_today() + timedelta(days=n)).isoformat()


def _customer(team, name="华联超市", **fields) -> Customer:
    return new_customer(team["sales"], name=name, contacts=["王经理"], **fields)


def _quote_header() -> dict:
    return {"quote_date": _days(0), "valid_until": _days(30), "tax_rate": "13", "contact_id": "0"}


def _customer_case(team):
    return Case(team["sales"], "/customers/new", {"name": "新客户商行", "stage": "potential", "customer_type_id": "0",
                                                  "source_id": "0", "intention_grade": "",
                                                  "owner_id": str(team["sales"].id)}, Customer)


def _contact_case(team):
    customer = _customer(team)
    page = f"/customers/{customer.id}"
    return Case(team["sales"], f"{page}/contacts/new", {"name": "李梅", "mobile": "13715526677"}, Contact,
                _htmx("contacts", page), page)


def _follow_up_case(team):
    customer = _customer(team)
    page = f"/customers/{customer.id}"
    data = {"kind": "call_out", "happened_at": wall_clock(utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "summary": "客户询问苹果价格", "contact_id": "0", "next_follow_up_on": ""}
    return Case(team["sales"], f"{page}/follow-ups", data, FollowUp, _htmx("follow-ups", page), page)


def _plain_follow_up_case(team):
    case = _follow_up_case(team)
    return Case(case.user, case.url, case.data, FollowUp)


def _call_case(team):
    customer = _customer(team, mobile="13800138000")
    return Case(team["sales"], "/calls/new", {"q": "13800138000", "customer": str(customer.id), "summary": "询问到货",
                                              "next_follow_up_on": ""}, FollowUp)


def _quote_case(team):
    return Case(team["sales"], f"/quotes/new/{_customer(team).id}", _quote_header(), Quote)


def _line_case(team, record, area: str, data: dict, model) -> Case:
    """A line added with htmx on a quote's or contract's page (``area``: quote, contract)."""
    page = f"/{area}s/{record.id}"
    return Case(team["sales"], f"{page}/lines", data, model, _htmx(f"{area}-lines", page), page)


def _quote_line_case(team):
    data = {"name": "包装费", "quantity": "2", "unit_price": "12.35"}
    return _line_case(team, make_quote(_customer(team)), "quote", data, QuoteLine)


def _revision_case(team):
    quote = make_quote(_customer(team), lines=[("苹果", "10", "100", "0")], status="sent")
    return Case(team["sales"], f"/quotes/{quote.id}/revise", {}, Quote)


def _contract_case(team):
    return Case(team["sales"], f"/contracts/new/{_customer(team).id}", {"signed_on": _days(0), "tax_rate": "13"}, Contract)


def _contract_from_quote_case(team):
    quote = make_quote(_customer(team), lines=[("苹果", "10", "100", "0")], status="won", decided_on=company_today())
    return Case(team["sales"], f"/quotes/{quote.id}/contract", {"signed_on": _days(0), "tax_rate": "13"}, Contract)


def _contract_line_case(team):
    data = {"name": "香蕉", "quantity": "3", "unit_price": "85"}
    return _line_case(team, make_contract(_customer(team)), "contract", data, ContractLine)


def _plan_case(team):
    contract = make_contract(_customer(team))
    data = {"instalments-0-due_on": _days(3), "instalments-0-amount": "330",
            "instalments-1-due_on": _days(40), "instalments-1-amount": "800"}
    return Case(team["sales"], f"/contracts/{contract.id}/plan", data, Instalment, rows=2)


def _payment_case(team):
    contract = make_contract(_customer(team))
    return Case(team["sales"], f"/contracts/{contract.id}/payments/new",
                {"received_on": _days(0), "amount": "500", "method": "transfer"}, Payment)


def _delivery_case(team):
    contract = make_contract(_customer(team))
    line = db.session.scalar(select(ContractLine).where(ContractLine.contract_id == contract.id))
    data = {"planned_on": _days(2), "address_choice": "0", "new_address": "苏州工业园区 8 号", "receiver": "李收货",
            "receiver_phone": "139", f"quantity_{line.id}": "4"}
    return Case(team["sales"], f"/contracts/{contract.id}/deliveries/new", data, Delivery)


def _complaint_case(team):
    customer = _customer(team)
    received = wall_clock(utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    data = {"customer_id": str(customer.id), "kind": "complaint", "channel": "phone",
            "category_id": str(category_ids()["产品质量"]), "severity": "urgent", "received_at": received,
            "contract_id": "0", "content": "苹果有磕碰"}
    return Case(team["sales"], f"/complaints/new?customer={customer.id}", data, Complaint)


def _complaint_step_case(team):
    complaint = make_complaint(_customer(team))
    return Case(team["sales"], f"/complaints/{complaint.id}/step", {"note": "已回电说明换货", "to": ""}, ComplaintStep)


def _reason_id() -> str:
    ensure_default_entries(LOST_REASON)
    db.session.commit()
    return str(lookup_entries(LOST_REASON)[0].id)


def _lost_order_case(team):
    customer = _customer(team)
    data = {"lost_on": _days(0), "reason_id": _reason_id(), "competitor_id": str(make_competitor("佳沛果业").id),
            "amount": "800", "product_id": str(make_product().id)}
    return Case(team["sales"], f"/lost/new/{customer.id}", data, LostOrder)


def _lost_customer_case(team):
    customer = _customer(team, stage=Stage.SIGNED.value)
    make_quote(customer, lines=[("苹果", "1", "10", "0")], status="won", decided_on=company_today() - timedelta(days=30))
    data = {"lost_on": _days(0), "reason_id": _reason_id(), "competitor_id": str(make_competitor("都乐果业").id)}
    return Case(team["sales"], f"/lost/customers/{customer.id}/mark", data, CustomerLoss)


def _pool_claim_case(team):
    customer = new_customer(team["colleague"], name="公海客户", intention_grade="B", pool_since=utcnow())
    customer.owned_since = utcnow() - timedelta(days=40)
    db.session.commit()
    return Case(team["sales"], f"/pool/{customer.id}/claim", {}, PoolEvent)


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    headers = [header for header, _key, _required in CUSTOMER_COLUMNS]
    sheet.append(headers)
    sheet.append([{"客户名称": "导入一次商行", "手机": "13912345678"}.get(header) for header in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload_by_client(client, user) -> str:
    login_as(client, user)
    response = client.post("/customers/import", data={"workbook": (io.BytesIO(_workbook()), "c.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def _upload_by_http(port, cookie) -> str:
    """The upload through the served portal: its worker keeps the checked rows in its instance folder."""
    boundary = "----portal-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="c.xlsx"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    body += _workbook() + f"\r\n--{boundary}--\r\n".encode()
    db.session.commit()  # the cookie loaded the user: this thread's transaction must not hold the writers' gate
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/customers/import", body=body,
                           headers={"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        response.read()
        assert response.status == 303
        return response.headers["Location"]
    finally:
        connection.close()


def _import_case(team, upload: Callable[[object], str]):
    """An import checked and waiting for confirmation; ``upload(user)`` sends the workbook."""
    job_id = int(urlsplit(upload(team["sales"])).path.rstrip("/").split("/")[-1])
    _wait_for_jobs()
    assert db.session.get(ImportJob, job_id).status == "ready"
    return Case(team["sales"], f"/customers/import/{job_id}/commit", {}, Customer)


def _wait_for_jobs():
    """Background work of this process (an import) finished; one started by a worker process of
    the served portal is waited for on its job row (at most a minute, in tenths of a second)."""
    db.session.commit()  # this thread's transaction must not hold the writers' gate
    assert jobs.wait_for_all(60)
    for _ in range(600):
        if not db.session.scalar(select(func.count(ImportJob.id)).where(ImportJob.status.in_(("checking", "importing")))):
            break
        db.session.commit()
        time.sleep(0.1)
    db.session.commit()
    db.session.expire_all()


CASES: dict[str, Callable] = {
    "customer": _customer_case,
    "contact": _contact_case,
    "follow_up": _follow_up_case,
    "follow_up_without_htmx": _plain_follow_up_case,
    "inbound_call": _call_case,
    "quote": _quote_case,
    "quote_line": _quote_line_case,
    "revision": _revision_case,
    "contract": _contract_case,
    "contract_from_quote": _contract_from_quote_case,
    "contract_line": _contract_line_case,
    "payment_plan": _plan_case,
    "payment": _payment_case,
    "delivery": _delivery_case,
    "complaint": _complaint_case,
    "complaint_step": _complaint_step_case,
    "lost_order": _lost_order_case,
    "lost_customer": _lost_customer_case,
    "pool_claim": _pool_claim_case,
    "import_commit": _import_case,
}


def _make(name, team, upload):
    return _import_case(team, upload) if name == "import_commit" else CASES[name](team)


def _answered_url(status: int, headers) -> str:
    """Where an answer leads: its redirect or its HX-Redirect, as a path."""
    url = headers.get("HX-Redirect") or (headers.get("Location") if 300 <= status < 400 else "") or ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


# --- through the routes -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_a_create_form_posted_twice_with_its_key_saves_once(client, team, name):
    case = _make(name, team, lambda user: _upload_by_client(client, user))
    login_as(client, case.user)
    before = case.count()
    data = {**case.data, FIELD_NAME: new_submission_key()}
    first = client.post(case.url, data=data, headers=case.headers)
    assert first.status_code < 400, re.findall(r'class="error[^"]*"[^>]*>([^<]*)<', first.get_data(as_text=True))
    _wait_for_jobs()
    made = case.count()
    assert made == before + case.rows
    second = client.post(case.url, data=data, headers=case.headers)
    _wait_for_jobs()
    assert case.count() == made
    if case.htmx and not 300 <= first.status_code < 400:
        # The first answer was a fragment of the page it was posted from: the repeat reloads that page.
        assert second.status_code == 200 and second.headers["HX-Redirect"] == case.page
    else:
        assert second.status_code == 303
        assert _answered_url(second.status_code, second.headers) == _answered_url(first.status_code, first.headers) != ""
    assert db.session.scalar(select(func.count(SubmissionKey.id))) == 1


def test_the_repeat_says_it_was_saved_already(client, team):
    case = _quote_case(team)
    login_as(client, case.user)
    data = {**case.data, FIELD_NAME: new_submission_key()}
    client.post(case.url, data=data)
    page = client.post(case.url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "This was saved already" in page
    assert db.session.scalars(select(Quote.sequence)).all() == [1]


def test_a_form_with_errors_leaves_its_key_free_for_the_corrected_post(client, team):
    case = _quote_case(team)
    login_as(client, case.user)
    key = new_submission_key()
    refused = client.post(case.url, data={**case.data, "tax_rate": "101", FIELD_NAME: key})
    assert refused.status_code == 422 and case.count() == 0
    assert db.session.scalar(select(func.count(SubmissionKey.id))) == 0
    assert client.post(case.url, data={**case.data, FIELD_NAME: key}).status_code == 303
    assert case.count() == 1


def test_without_a_key_each_post_saves_as_before(client, team):
    case = _follow_up_case(team)
    login_as(client, case.user)
    for _ in range(2):
        assert client.post(case.url, data=case.data).status_code == 303
    malformed = {**case.data, FIELD_NAME: "<script>"}
    assert client.post(case.url, data=malformed).status_code == 303
    assert case.count() == 3 and db.session.scalar(select(func.count(SubmissionKey.id))) == 0


def test_another_users_key_is_refused_and_saves_nothing(client, team):
    case = _customer_case(team)
    login_as(client, case.user)
    data = {**case.data, FIELD_NAME: new_submission_key()}
    first = client.post(case.url, data=data)
    login_as(client, team["colleague"])
    stolen = client.post(case.url, data={**data, "owner_id": str(team["colleague"].id)})
    assert stolen.status_code == 409 and first.headers["Location"] not in stolen.get_data(as_text=True)
    assert case.count() == 1


def test_a_key_used_on_another_form_is_refused(client, team):
    customer_case, quote_case = _customer_case(team), _quote_case(team)
    login_as(client, team["sales"])
    key = new_submission_key()
    client.post(customer_case.url, data={**customer_case.data, FIELD_NAME: key})
    assert client.post(quote_case.url, data={**quote_case.data, FIELD_NAME: key}).status_code == 409
    assert quote_case.count() == 0


@pytest.mark.parametrize(("url", "setup"), [
    ("/customers/new", None), ("/calls/new", None), ("/complaints/new", None),
    ("/quotes/new/{customer}", None), ("/contracts/new/{customer}", None), ("/lost/new/{customer}", None),
    ("/customers/{customer}", None), ("/pool/", "pool"),
])
def test_create_forms_carry_a_new_key_each_time(client, team, url, setup):
    customer = _customer(team)
    if setup == "pool":
        _pool_claim_case(team)
    login_as(client, team["sales"])
    pages = [client.get(url.format(customer=customer.id)).get_data(as_text=True) for _ in range(2)]
    keys = [page.split(f'name="{FIELD_NAME}" value="')[1].split('"')[0] for page in pages]
    assert keys[0] != keys[1] and all(len(key) >= 20 for key in keys)


def test_edit_forms_carry_no_key(client, team):
    customer = _customer(team)
    quote = make_quote(customer)
    login_as(client, team["sales"])
    for url in (f"/customers/{customer.id}/edit", f"/quotes/{quote.id}/edit"):
        assert FIELD_NAME not in client.get(url).get_data(as_text=True)


def test_old_keys_are_pruned_by_the_nightly_command(app, client, team):
    case = _customer_case(team)
    login_as(client, case.user)
    client.post(case.url, data={**case.data, FIELD_NAME: new_submission_key()})
    client.post(case.url, data={**case.data, "name": "另一家商行", FIELD_NAME: new_submission_key()})
    old = db.session.scalars(select(SubmissionKey).order_by(SubmissionKey.id)).first()
    old.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["prune-submission-keys"])
    assert result.exit_code == 0 and "deleted 1 submission keys" in result.output
    assert db.session.scalar(select(func.count(SubmissionKey.id))) == 1 and case.count() == 2


# --- through a served portal, at the same moment --------------------------------------------------

PARALLEL = 4


def _post(port, cookie, case, body, answers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", case.url, body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", **case.headers})
        response = connection.getresponse()
        response.read()
        answers.append((response.status, _answered_url(response.status, response.headers)))
    except Exception as error:  # a dropped connection is a failure the assertion shows
        answers.append((repr(error), ""))
    finally:
        connection.close()


@pytest.mark.parametrize("server", ["served", "served_by_worker_processes"], ids=["waitress", "worker_processes"])
def test_every_create_form_sent_at_once_and_again_saves_once(request, client, team, server):
    """Each create form posted by four threads at the same moment, then once more: one record each,
    no server error, and every redirect answer leads to the same record."""
    served_app, port, *_log = request.getfixturevalue(server)
    cases = {name: _make(name, team, lambda user: _upload_by_http(port, _session_cookie(served_app, user))) for name in CASES}
    cookies = {name: _session_cookie(served_app, case.user) for name, case in cases.items()}
    # Nothing below loads a record between the posts: the test's transaction would hold the write gate.
    db.session.commit()
    for name, case in cases.items():
        body = urlencode({**case.data, FIELD_NAME: new_submission_key()})
        before, answers = case.count(), []
        threads = [threading.Thread(target=_post, args=(port, cookies[name], case, body, answers)) for _ in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        _wait_for_jobs()
        made = case.count()
        _post(port, cookies[name], case, body, answers)
        _wait_for_jobs()
        assert made == before + case.rows and case.count() == made, (name, answers)
        assert all(isinstance(status, int) and status < 400 for status, _url in answers), (name, answers)
        redirects = {url for status, url in answers if url}
        if case.htmx:
            assert redirects <= {case.page}, (name, answers)
        else:
            assert len(redirects) == 1, (name, answers)

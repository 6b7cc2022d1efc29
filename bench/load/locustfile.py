"""Mixed workload of logged-in users in the four roles, for Locust (run by ``bench/loadtest.py``).

Each simulated user logs in with one generated account (``bench.generate``: ``sales<d>.<nn>``,
``head<d>``, ``hr``, ``admin``; all share one password) and then, with ``LOAD_THINK`` seconds of think
time (± ``LOAD_THINK_JITTER``; none by default), repeats the
requests a person in that role makes most: My day, the customer list filtered and searched through
htmx, a customer page, logging a follow-up (visit or call out) and an inbound call; a salesperson
also creates and sends quotes and records payments on their contracts; heads and the administrator
filter the contract list and open the performance and lost-order analysis pages; HR opens the
performance sheet and the performance page. The think time comes before each click of the person:
a page's own later requests (My day's reminders, the customer page's sections) follow it at once,
as the browser sends them; the quote's line and sending, and the payment after its form, each wait.

Each salesperson's task is tagged with its request kind: ``bench.loadtest --kind list.fragment``
runs salespeople repeating that one task only (what one kind of request costs through the server).

Every write carries a unique marker in its summary, notes or payment note (``LT<run>-<user>-<n>``); markers whose request
answered as expected are written to ``LOAD_MARKERS_FILE`` when the run stops, so the runner can
check that each is in the database exactly once.

Settings come from the environment: ``LOAD_RUN_ID``, ``LOAD_PASSWORD``, ``LOAD_DEPARTMENTS``
(salespeople per department, comma-separated), ``LOAD_SEARCH_TERM``, ``LOAD_MARKERS_FILE``,
``LOAD_WINDOW_FILE``, ``LOAD_THINK``, ``LOAD_THINK_JITTER``, ``LOAD_SETTLE``.
"""
import html
import itertools
import json
import os
import random
import re
import time
from datetime import datetime, timedelta

import gevent
from locust import FastHttpUser, between, constant, events, tag, task
from locust.stats import StatsEntry

RUN_ID = os.environ.get("LOAD_RUN_ID", "0")
PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-pass-1")
DEPARTMENTS = [int(count) for count in os.environ.get("LOAD_DEPARTMENTS", "15,15,15,15").split(",")]
SEARCH_TERM = os.environ.get("LOAD_SEARCH_TERM", "鲜果")
MARKERS_FILE = os.environ.get("LOAD_MARKERS_FILE")
SUMMARY_FILE = os.environ.get("LOAD_SUMMARY_FILE")
# Written when the measured window opens, for a runner that acts inside the window (bench/cluster.py).
WINDOW_FILE = os.environ.get("LOAD_WINDOW_FILE")
USERS = int(os.environ.get("LOAD_USERS", "0"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
LOGIN_KINDS = {"login", "login.page"}
# Think time between a user's requests: LOAD_THINK seconds ± LOAD_THINK_JITTER (0: back to back,
# what one request kind alone costs; the mix runs at 5 s ± 2 s, a person reading the page).
THINK = float(os.environ.get("LOAD_THINK", "0"))
THINK_JITTER = float(os.environ.get("LOAD_THINK_JITTER", "0"))
SETTLE = float(os.environ.get("LOAD_SETTLE", "0"))

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)"')
CONTRACT_LINK = re.compile(r'href="/contracts/(\d+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
# A write whose answer was lost (nginx's 502 while an app server stops) is sent again with the same
# one-time key, as a person would press Save again; the key makes the second one answer, not save.
RESEND_STATUSES = {0, 502, 503, 504}
RESENDS = 3
STAGES = ("potential", "intended", "signed")
GRADES = ("A", "B", "C", "D")
ROWS = {"HX-Request": "true", "HX-Target": "customer-rows"}
PANEL = {"HX-Request": "true", "HX-Target": "follow-ups"}
LATER = {"HX-Request": "true", "HX-Target": "my-day-later"}
LATER_URL = re.compile(r'id="my-day-later" hx-get="([^"]+)"')
# What the customer page loads after its first paint: the other areas' sections and the history.
CUSTOMER_PARTS = (("customer-panels", "customer.panels"), ("history", "customer.history"))
CUSTOMER_PART_URLS = {target: re.compile(rf'id="{target}" hx-get="([^"]+)"') for target, _name in CUSTOMER_PARTS}
CONTRACT_ROWS = {"HX-Request": "true", "HX-Target": "contract-rows"}
PAYMENT_STATES = ("unpaid", "partly_paid", "paid", "overdue")

_account_numbers = {role: itertools.count() for role in ("sales", "head")}
saved_markers: list[str] = []
saved_quotes: list[str] = []
saved_payments: list[str] = []
# Payments sent again after a lost answer (each must still be in the database exactly once).
resent_payments: list[str] = []
# The measured window opens ``LOAD_SETTLE`` seconds after every user has logged in: logins (scrypt)
# are not the workload, nor the queue of requests a burst of hundreds of them leaves behind.
window = {"ready": 0, "scheduled": False, "opened": None}


def _open_window(environment) -> None:
    """Start measuring: the figures so far (logins and the queue they left) are dropped."""
    environment.runner.stats.reset_all()
    window["opened"] = time.monotonic()
    gevent.spawn_later(SECONDS, environment.runner.quit)
    if WINDOW_FILE:
        with open(WINDOW_FILE, "w", encoding="utf-8") as handle:
            handle.write("open")


def _account(role: str) -> str:
    """The next generated account of ``role``: salespeople and heads spread over the departments."""
    number = next(_account_numbers[role]) if role in _account_numbers else 0
    if role == "sales":
        people = [(d, n) for d, count in enumerate(DEPARTMENTS, start=1) for n in range(1, count + 1)]
        department, person = people[number % len(people)]
        return f"sales{department}.{person:02d}"
    if role == "head":
        return f"head{number % len(DEPARTMENTS) + 1}"
    return role


class PortalUser(FastHttpUser):
    abstract = True
    role = "sales"
    wait_time = between(max(THINK - THINK_JITTER, 0), THINK + THINK_JITTER) if THINK else constant(0)
    _user_numbers = itertools.count(1)

    def on_start(self):
        self.number = next(self._user_numbers)
        self.writes = itertools.count(1)
        page = self.client.get("/login", name="login.page").text
        response = self.client.post(
            "/login",
            data={"username": _account(self.role), "password": PASSWORD, "csrf_token": CSRF_INPUT.search(page).group(1)},
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login as {self.role} answered {response.status_code}")
        home = self.client.get("/", name="my_day").text
        self.csrf = CSRF_HEADER.search(home).group(1)
        self.customer_ids = self._customer_ids()
        self.contract_ids = self._contract_ids()
        window["ready"] += 1
        if window["ready"] == USERS and not window["scheduled"]:
            window["scheduled"] = True
            gevent.spawn_later(SETTLE, _open_window, self.environment)

    def _customer_ids(self) -> list[int]:
        if self.role == "hr":
            return []
        rows = self.client.get("/customers/", headers=ROWS, name="list.fragment").text
        return [int(found) for found in CUSTOMER_LINK.findall(rows)][:50]

    def _contract_ids(self) -> list[int]:
        """Contracts in progress with money outstanding, for the payments a salesperson records."""
        if self.role != "sales":
            return []
        found = []
        for payment in ("overdue", "unpaid", "partly_paid"):
            rows = self.client.get("/contracts/", params={"status": "in_progress", "payment": payment}, headers=CONTRACT_ROWS,
                                   name="contracts.fragment").text
            found += [int(number) for number in CONTRACT_LINK.findall(rows)]
        return found[:20]

    def marker(self) -> str:
        return f"LT{RUN_ID}-{self.number}-{next(self.writes)}"

    @tag("my_day")
    @task(4)
    def my_day(self):
        """My day as the browser loads it: the page, then the reminders it fetches after the first paint."""
        page = self.client.get("/", name="my_day").text
        later = LATER_URL.search(page)
        if later:
            self.client.get(html.unescape(later.group(1)), headers=LATER, name="my_day.later")


class CustomerWork(PortalUser):
    abstract = True

    @tag("list.fragment")
    @task(4)
    def filter_list(self):
        params = {"stage": random.choice(STAGES), "grade": random.choice(GRADES)}
        self.client.get("/customers/", params=params, headers=ROWS, name="list.fragment")

    @tag("list.search")
    @task(2)
    def search_list(self):
        self.client.get("/customers/", params={"q": SEARCH_TERM}, headers=ROWS, name="list.search")

    @tag("customer.page")
    @task(3)
    def customer_page(self):
        """The customer page as the browser loads it: the page, then the parts it fetches after the first paint."""
        if not self.customer_ids:
            return
        page = self.client.get(f"/customers/{random.choice(self.customer_ids)}", name="customer.page").text
        for target, name in CUSTOMER_PARTS:
            found = CUSTOMER_PART_URLS[target].search(page)
            if found:
                self.client.get(html.unescape(found.group(1)), headers={"HX-Request": "true", "HX-Target": target}, name=name)

    @tag("follow_up.create")
    @task(2)
    def log_follow_up(self):
        if not self.customer_ids:
            return
        marker = self.marker()
        happened = (datetime.utcnow() + timedelta(hours=8) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
        with self.client.post(
            f"/customers/{random.choice(self.customer_ids)}/follow-ups",
            data={"kind": random.choice(("visit", "call_out")), "happened_at": happened, "summary": marker, "contact_id": "0"},
            headers={**PANEL, "X-CSRFToken": self.csrf},
            name="follow_up.create",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                saved_markers.append(marker)
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @tag("call.create")
    @task(1)
    def inbound_call(self):
        if not self.customer_ids:
            return
        marker = self.marker()
        with self.client.post(
            "/calls/new",
            data={"customer": str(random.choice(self.customer_ids)), "summary": marker, "csrf_token": self.csrf},
            name="call.create",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 303:
                saved_markers.append(marker)
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @tag("contracts.fragment")
    @task(1)
    def contract_list(self):
        self.client.get("/contracts/", params={"payment": random.choice(PAYMENT_STATES)}, headers=CONTRACT_ROWS,
                        name="contracts.fragment")


class Salesperson(CustomerWork):
    role = "sales"
    weight = 14

    @tag("quote")
    @task(1)
    def quote_and_send(self):
        """A draft for one of their customers, one line, then sent: three writes, one marker, each
        after the person's think time (three clicks, not one)."""
        if not self.customer_ids:
            return
        marker = self.marker()
        today = (datetime.utcnow() + timedelta(hours=8)).date()
        with self.client.post(
            f"/quotes/new/{random.choice(self.customer_ids)}",
            data={"quote_date": today.isoformat(), "valid_until": (today + timedelta(days=30)).isoformat(),
                  "tax_rate": "13", "contact_id": "0", "notes": marker, "csrf_token": self.csrf},
            name="quote.create", allow_redirects=False, catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"status {response.status_code}")
                return
            response.success()
            quote_path = response.headers["Location"].split("://", 1)[-1]
            quote_path = quote_path[quote_path.index("/"):] if not quote_path.startswith("/") else quote_path
        saved_quotes.append(marker)
        self.wait()  # the person types the line
        self.client.post(f"{quote_path}/lines", data={"name": "压测商品", "quantity": "3", "unit_price": "12.50", "csrf_token": self.csrf},
                         headers={"HX-Request": "true", "HX-Target": "quote-lines", "X-CSRFToken": self.csrf}, name="quote.line")
        self.wait()  # and reads the quote before sending it
        self.client.post(f"{quote_path}/send", data={"csrf_token": self.csrf}, name="quote.send", allow_redirects=False)

    @tag("payment")
    @task(1)
    def record_payment(self):
        """A contract's payment form, then, after the think time, a payment of 1.00 on it (money
        received for an unpaid contract), sent again with the same one-time key while the answer
        is a gateway error."""
        if not self.contract_ids:
            return
        contract_id = random.choice(self.contract_ids)
        form = self.client.get(f"/contracts/{contract_id}/payments/new", name="payment.form").text
        key = SUBMISSION_KEY.search(form)
        self.wait()  # the person fills the form in
        marker = self.marker()
        today = (datetime.utcnow() + timedelta(hours=8)).date()
        data = {"received_on": today.isoformat(), "amount": "1.00", "method": "transfer", "note": marker,
                "csrf_token": self.csrf, **({"submission_key": key.group(1)} if key else {})}
        for attempt in range(RESENDS + 1):
            with self.client.post(f"/contracts/{contract_id}/payments/new", data=data,
                                  name="payment.create" if attempt == 0 else "payment.create (sent again)",
                                  allow_redirects=False, catch_response=True) as response:
                if response.status_code == 303 and response.headers.get("Location", "").endswith("#payments"):
                    saved_payments.append(marker)
                    response.success()
                    return
                if response.status_code in RESEND_STATUSES and attempt < RESENDS and key:
                    response.success()  # counted as the person sees it: the next attempt decides
                    resent_payments.append(marker)
                    gevent.sleep(0.5)
                    continue
                response.failure(f"status {response.status_code}")
                return


class Analyst(CustomerWork):
    abstract = True

    @task(1)
    def performance(self):
        self.client.get("/performance/", name="performance.page")

    @task(1)
    def lost_analysis(self):
        self.client.get("/lost/analysis", name="lost.analysis")


class Head(Analyst):
    role = "head"
    weight = 3


class Admin(Analyst):
    role = "admin"
    weight = 2


class HumanResources(PortalUser):
    role = "hr"
    weight = 1

    @task(3)
    def sheet(self):
        self.client.get("/performance/sheet", name="performance.sheet")

    @task(1)
    def performance(self):
        self.client.get("/performance/", name="performance.page")


def _figures(entry: StatsEntry, seconds: float) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.num_requests / seconds, 1) if seconds else 0.0,
        "p50_ms": entry.get_response_time_percentile(0.50),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
    }


@events.test_stop.add_listener
def _write_results(environment, **_kwargs):
    seconds = time.monotonic() - window["opened"] if window["opened"] else 0.0
    stats = environment.runner.stats
    mixed = StatsEntry(stats, "mixed", "")
    kinds = {}
    for (name, _method), entry in sorted(stats.entries.items()):
        if not entry.num_requests:
            continue
        kinds[name] = _figures(entry, seconds)
        if name not in LOGIN_KINDS:
            mixed.extend(entry)
    errors = {f"{error.name}: {error.error}": error.occurrences for error in stats.errors.values()}
    if SUMMARY_FILE:
        with open(SUMMARY_FILE, "w", encoding="utf-8") as handle:
            json.dump({"seconds": round(seconds, 1), "logged_in": window["ready"], "mixed": _figures(mixed, seconds), "kinds": kinds, "errors": errors}, handle, ensure_ascii=False)
    if MARKERS_FILE:
        with open(MARKERS_FILE, "w", encoding="utf-8") as handle:
            json.dump({"follow_ups": saved_markers, "quotes": saved_quotes, "payments": saved_payments,
                       "payments_sent_again": sorted(set(resent_payments))}, handle)

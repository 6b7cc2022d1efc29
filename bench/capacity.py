"""What each kind of request costs through the real server, measured with ``wrk``: ``python -m bench.capacity``.

Prepares the generated data set as ``bench.loadtest`` does (a fresh copy of the SQLite file, or the
named PostgreSQL database), starts the server as ``make run`` starts it (gunicorn, four single-threaded
workers) on 127.0.0.1 and, for each request kind in turn, runs ``wrk`` with ``--connections`` for
``--seconds`` (longer, up to a minute, for a kind too slow to complete 100 requests in that time):
requests/s, p50 and p99, non-2xx answers and socket errors. Logged-in session cookies
are made in Python with the server's secret key (what a login would set), so no request of the
measured window is a login. Each kind's requests/s is divided into the login page's measured on
either side of it (the mean of the run before and the run after, half as long; ``login_rps``):
``ratio`` = login page req/s ÷ the kind's req/s, how many login pages one request of the kind costs.

Figures go to ``bench/results/capacity-<database>-<date>.json`` and, as ``capacity.<kind>.ratio``
(limit: the kind's target ratio) and ``capacity.<kind>.rps``, to ``bench/results/latest.json``
(a PostgreSQL run: ``capacity.postgresql.<kind>.*``, no limit).
"""
import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from sqlalchemy import make_url

from bench.loadtest import DEFAULT_SERVER, serving
from bench.run import RESULTS, machine_line, prepare_database

SECRET = "load-test-secret"  # what ``bench.loadtest.serving`` gives the server
# Every request carries this browser name; the session holds the identifier Flask-Login derives
# from it and the address, as after a real login (otherwise each answer would re-sign the session).
USER_AGENT = "portal-capacity/1"
ROWS = {"HX-Request": "true", "HX-Target": "customer-rows"}
LATER = {"HX-Request": "true", "HX-Target": "my-day-later"}
# A kind that completes fewer requests than this in ``--seconds`` is measured again for as long as
# it needs to (at most MAX_SECONDS): a few requests make no percentile.
MIN_REQUESTS = 100
MAX_SECONDS = 60
# Ratio to the login page each kind should stay under (README, Capacity).
TARGETS = {
    "customers.fragment.filtered": 2.5,
    "customer.page": 4,
    "quotes.fragment": 4,
    "contracts.fragment": 4,
    "my_day.sales": 5,
    "my_day.head": 8,
    "performance.head.month": 15,
    "lost_analysis.head.quarter": 15,
}


def kinds(facts: dict) -> list[tuple[str, str | None, str, dict]]:
    """(name, account or None for anonymous, path, headers) of every measured request kind."""
    sales, head = facts["sales"], facts["head"]
    return [
        ("login.page", None, "/login", {}),
        ("customers.fragment.filtered", sales, "/customers/?stage=intended&grade=A", ROWS),
        ("customers.page", sales, "/customers/", {}),
        ("quotes.fragment", sales, "/quotes/", {"HX-Request": "true", "HX-Target": "quote-rows"}),
        ("contracts.fragment", sales, "/contracts/", {"HX-Request": "true", "HX-Target": "contract-rows"}),
        ("customer.page", sales, f"/customers/{facts['focus_customer_id']}", {}),
        # The parts the customer page loads after its first paint.
        ("customer.panels", sales, f"/customers/{facts['focus_customer_id']}/panels", {"HX-Request": "true", "HX-Target": "customer-panels"}),
        ("customer.history", sales, f"/history/customers/{facts['focus_customer_id']}", {"HX-Request": "true", "HX-Target": "history"}),
        ("my_day.sales", sales, "/", {}),
        ("my_day.head", head, "/", {}),
        # The reminders My day loads after its first paint (payments, quotes, birthdays…).
        ("my_day.sales.later", sales, "/my-day/later", LATER),
        ("my_day.head.later", head, "/my-day/later", LATER),
        ("performance.head.month", head, "/performance/", {}),
        ("lost_analysis.head.quarter", head, "/lost/analysis?kind=quarter", {}),
    ]


def session_cookies(database_url: str, usernames: set[str]) -> dict[str, str]:
    """``Cookie`` header values of a logged-in session per username, signed with the server's key."""
    from sqlalchemy import select

    from flask_login.utils import _create_identifier

    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    cookies = {}
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}):
        identifier = _create_identifier()
    with app.app_context():
        for username in usernames:
            user = db.session.scalar(select(User).where(User.username == username))
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = user.session_token
                session["_fresh"] = True
                session["_id"] = identifier
            cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
            cookies[username] = f"{cookie.key}={cookie.value}"
        db.engine.dispose()
    return cookies


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return round(float(number) * _UNITS[unit], 2)


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 (ms), requests, non-2xx/3xx answers and socket errors from ``wrk --latency``."""
    figures = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": 0,
        "socket_errors": 0,
    }
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        figures["non_2xx"] = int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        figures["socket_errors"] = sum(int(count) for count in match.groups())
    return figures


def run_wrk(url: str, headers: dict, connections: int, seconds: int, threads: int) -> dict:
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "60s"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    return parse_wrk(completed.stdout)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


def check_answers(url: str, headers: dict) -> None:
    """The request answers 200 itself (a redirect to the login page would measure the wrong page)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        status = opener.open(urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers}), timeout=60).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200: the session cookie is not accepted")


def measure(base_url: str, database_url: str, facts: dict, connections: int, seconds: int, threads: int,
            only: set[str] | None = None) -> list[dict]:
    measured = [kind for kind in kinds(facts) if kind[0] == "login.page" or not only or kind[0] in only]
    cookies = session_cookies(database_url, {account for _name, account, _path, _headers in measured if account})
    results = []
    login_url = base_url + "/login"
    # The login page again after each kind: a shared machine's speed drifts within a run (its Python
    # ran 1.5 times faster or slower from one minute to the next), so each kind is divided into the
    # login page measured on either side of it, not into one measured minutes before.
    baseline_seconds = max(3, seconds // 2)
    for name, account, path, headers in measured:
        if account:
            headers = {**headers, "Cookie": cookies[account]}
        check_answers(base_url + path, headers)
        # A short warm-up: each worker's first request of a kind pays for imports and compiled templates.
        run_wrk(base_url + path, headers, min(connections, 8), 2, threads)
        figures, used = run_wrk(base_url + path, headers, connections, seconds, threads), seconds
        if figures["requests"] < MIN_REQUESTS and figures["rps"]:
            used = min(MAX_SECONDS, max(seconds, math.ceil(MIN_REQUESTS / figures["rps"])))
            if used > seconds:
                figures = run_wrk(base_url + path, headers, connections, used, threads)
        result = {"kind": name, "path": path, "account": account or "anonymous", "seconds": used, **figures}
        if name == "login.page":
            before = figures["rps"]
        else:
            after = run_wrk(login_url, {}, connections, baseline_seconds, threads)["rps"]
            result["login_rps"] = round((before + after) / 2, 1)
            before = after
        results.append(result)
        print(f"  {name:<28} {figures['rps']:>8.1f} req/s  p50 {figures['p50_ms']:>8.1f} ms  p99 {figures['p99_ms']:>8.1f} ms"
              f"  non-2xx {figures['non_2xx']}  socket errors {figures['socket_errors']}"
              + (f"  login page around it {result['login_rps']:.1f} req/s" if "login_rps" in result else ""), flush=True)
    for result in results:
        login = result.get("login_rps", result["rps"])
        result["ratio"] = round(login / result["rps"], 2) if result["rps"] else None
        result["target_ratio"] = TARGETS.get(result["kind"])
        result["holds"] = None if result["target_ratio"] is None else bool(result["ratio"] and result["ratio"] <= result["target_ratio"])
    return results


def write_results(document: dict) -> Path:
    """``capacity-<database>-<date>.json`` with every figure, and each kind's ratio and requests/s
    as entries of ``latest.json`` (the benchmark's list of ``{name, value, unit, limit, size,
    database}``), replacing the entries of an earlier run on the same database. The target ratios
    are SQLite's (``make run``'s database): a PostgreSQL run's entries are named
    ``capacity.postgresql.<kind>.*`` and carry no limit, reported beside."""
    RESULTS.mkdir(exist_ok=True)
    database = document["database"]
    path = RESULTS / f"capacity-{database}-{document['date']}.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    prefix = "capacity." if database == "sqlite" else f"capacity.{database}."
    entries = []
    for result in document["kinds"]:
        common = {"size": document["size"], "database": database}
        entries.append({"name": f"{prefix}{result['kind']}.ratio", "value": result["ratio"], "unit": "x login page",
                        "limit": result["target_ratio"] if database == "sqlite" else None, **common})
        entries.append({"name": f"{prefix}{result['kind']}.rps", "value": result["rps"], "unit": "req/s", "limit": None, **common})
    latest = RESULTS / "latest.json"
    kept = [entry for entry in (json.loads(latest.read_text()) if latest.exists() else [])
            if not (entry["name"].startswith("capacity.") and entry.get("database") == database)]
    latest.write_text(json.dumps(kept + entries, ensure_ascii=False, indent=1) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--server", default=DEFAULT_SERVER, help="as bench.loadtest: gunicorn:<workers>x<threads> or waitress:<threads>")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections (20–50)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", default=None, help="comma-separated kinds (the login page is always measured)")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make capacity does)")
    url, facts, _generated = prepare_database(args.size, args.database_url)
    print(machine_line())
    only = set(args.only.split(",")) if args.only else None
    with serving(args.server, url) as (base_url, _log):
        results = measure(base_url, url, facts, args.connections, args.seconds, args.threads, only)
    document = {
        "date": date.today().isoformat(), "machine": machine_line(), "server": args.server, "size": args.size,
        "database": make_url(url).get_backend_name(), "connections": args.connections, "seconds": args.seconds, "kinds": results,
    }
    if not args.no_save:
        print(f"results in {write_results(document).relative_to(RESULTS.parent.parent)}")
    failing = [result["kind"] for result in results if result["holds"] is False]
    if failing:
        print(("over target ratio: " if document["database"] == "sqlite" else "over SQLite's target ratio: ") + ", ".join(failing))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Mixed load on the portal served by its real WSGI server: ``python -m bench.loadtest``.

Prepares the generated data set as ``bench.run`` does (a fresh copy of the SQLite file, or the named
PostgreSQL database), starts the server (``--server waitress:<threads>`` or
``gunicorn:<workers>x<threads>``) on 127.0.0.1, and drives it with Locust
(``bench/load/locustfile.py``) at each of ``--users`` for ``--seconds``, the window opening
``--settle`` seconds (30) after every user has logged in: hundreds of scrypt logins in a few seconds
leave a queue of requests behind them that the steady load does not make. Afterwards it checks that every write the load made is in the database exactly once and that the
server logged no "database is locked". Figures go to ``bench/results/load-<database>-<server>.json``.

``--compare`` runs the same load against several server configurations, to choose ``make run``'s.

The mix runs with think time (``--think 5`` ± ``--jitter 2`` seconds before each of a user's clicks, a
person reading the page); ``--kind`` runs repeat one request back to back. ``--step START,STEP,MAX``
raises the user count from START by STEP until a step misses p95 ≤ ``--p95-ms`` (300) or has an
error, and reports the largest count that held. Every run records Locust's own CPU time and its
share of the machine (Locust runs on the cores it measures).
"""
import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from bench.generate import DEFAULT_PASSWORD, SIZES
from bench.run import RESULTS, machine_line, prepare_database

ROOT = Path(__file__).resolve().parent
LOCUSTFILE = ROOT / "load" / "locustfile.py"
BIN = Path(sys.executable).parent
# What ``make run`` serves with (four single-threaded worker processes), chosen by ``--compare``
# (bench/README.md, Latest figures, has the figures).
DEFAULT_SERVER = "gunicorn:4x1"
TARGETS = {"rps_at_50": 300.0, "p95_ms_at_50": 200.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="large")
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_LOAD_DATABASE_URL"))
    parser.add_argument("--users", default="10,50,200")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--server", default=DEFAULT_SERVER, help="waitress:<threads> or gunicorn:<workers>x<threads>")
    parser.add_argument("--compare", default=None, help="comma-separated servers, each run at the first --users")
    parser.add_argument("--url", default=None, help="drive an already running portal (e.g. nginx) instead of starting one")
    parser.add_argument("--kind", default=None,
                        help="only salespeople repeating one tagged task (e.g. list.fragment): what that request costs")
    parser.add_argument("--think", type=float, default=5.0, help="seconds before each of a user's clicks in the mix (--kind: none)")
    parser.add_argument("--jitter", type=float, default=2.0, help="± seconds around --think")
    parser.add_argument("--step", default=None, help="START,STEP,MAX: the largest user count that keeps p95 and no errors")
    parser.add_argument("--p95-ms", type=float, default=300.0, help="the p95 a step must keep (--step)")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds between the last login and the measured window (the mix; --kind: none)")
    args = parser.parse_args(argv)
    think = (0.0, 0.0) if args.kind else (args.think, args.jitter)
    settle = 0.0 if args.kind else args.settle

    url, facts, _generated = prepare_database(args.size, args.database_url)
    database = make_url(url).get_backend_name()
    users = [int(count) for count in args.users.split(",")]
    print(machine_line())
    if args.compare:
        servers, users = args.compare.split(","), users[:1]
    else:
        servers = [args.server]
    ok = True
    for server in servers:
        runs, capacity = [], None

        def run_at(base_url, count, server_log):
            return drive(base_url, count, args.seconds, args.size, facts, url, server_log, kind=args.kind, think=think,
                         settle=settle)

        if args.url:
            runs, capacity = _runs(lambda count: run_at(args.url, count, None), users, args.step, args.p95_ms)
        else:
            with serving(server, url) as (base_url, server_log):
                runs, capacity = _runs(lambda count: run_at(base_url, count, server_log), users, args.step, args.p95_ms)
        ok &= all(run["writes"]["exactly_once"] and not run["locked"] for run in runs)
        label = ("url" if args.url else server.replace(":", "-")) + (f"-{args.kind}" if args.kind else "") + ("-step" if args.step else "")
        write_results(database, args.size, label, runs, think, capacity)
    return 0 if ok else 1


def _runs(run_at, users: list[int], step: str | None, p95_ms: float) -> tuple[list[dict], dict | None]:
    """The runs at each of ``users``; with ``step`` (START,STEP,MAX) the runs of the stepping search
    and its answer: the largest user count whose mixed p95 ≤ ``p95_ms`` with no error."""
    if not step:
        return [run_at(count) for count in users], None
    start, increment, maximum = (int(part) for part in step.split(","))
    runs, served = [], None
    for count in range(start, maximum + 1, increment):
        run = run_at(count)
        runs.append(run)
        held = run["mixed"]["p95_ms"] <= p95_ms and not run["mixed"]["failures"] and not run["errors"] and run["logged_in"] == count
        print(f"  step {count} users: {'held' if held else 'missed'} (p95 ≤ {p95_ms:g} ms, no errors)", flush=True)
        if not held:
            break
        served = count
    capacity = {"p95_ms": p95_ms, "largest_users_served": served, "steps": [run["users"] for run in runs]}
    print(f"largest user count served with p95 ≤ {p95_ms:g} ms and no errors: {served}")
    return runs, capacity


# --- the server -----------------------------------------------------------------------------------


class serving:
    """Start ``server`` (``waitress:<threads>`` / ``gunicorn:<workers>x<threads>``) on a free port."""

    def __init__(self, server: str, database_url: str, environment: dict | None = None):
        self.server, self.database_url, self.environment = server, database_url, environment or {}

    def __enter__(self):
        kind, _, shape = self.server.partition(":")
        port = _free_port()
        if kind == "waitress":
            command = [str(BIN / "waitress-serve"), "--host", "127.0.0.1", "--port", str(port), "--threads", shape or "8", "wsgi:app"]
        elif kind == "gunicorn":
            workers, _, threads = (shape or "2x4").partition("x")
            command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", workers, "--threads", threads or "1", "wsgi:app"]
        else:
            raise SystemExit(f"unknown server {self.server!r}")
        self.log = tempfile.NamedTemporaryFile("w+", prefix="portal-load-", suffix=".log", delete=False)
        environment = {
            **os.environ,
            "PORTAL_DATABASE_URL": self.database_url,
            "PORTAL_SECRET_KEY": "load-test-secret",
            **self.environment,
        }
        self.process = subprocess.Popen(command, cwd=ROOT.parent, env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(base_url, self.process)
        print(f"serving with {self.server} on {base_url}", flush=True)
        return base_url, Path(self.log.name)

    def __exit__(self, *_exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base_url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start (exit {process.returncode})")
        try:
            urllib.request.urlopen(base_url + "/login", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer within {seconds} s")


# --- the load -------------------------------------------------------------------------------------


def drive(base_url: str, users: int, seconds: int, size: str, facts: dict, database_url: str, server_log: Path | None,
          kind: str | None = None, window_file: Path | None = None, think: tuple[float, float] = (0.0, 0.0),
          settle: float = 0.0) -> dict:
    """Run Locust at ``users`` for ``seconds`` after logins; return its figures and the write check.
    With ``kind``, only salespeople run, repeating the task tagged ``kind``; ``window_file`` is
    written when the measured window opens (``settle`` seconds after every user logged in); ``think``
    is (seconds, ± seconds) between a user's requests. Locust's CPU time (user + system, its whole run with the
    logins) is reported with its share of the machine's cores over the same wall time."""
    run_id = f"{int(time.time())}{users}"
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        summary_file, markers_file = Path(folder) / "summary.json", Path(folder) / "markers.json"
        environment = {
            **os.environ,
            "LOAD_RUN_ID": run_id,
            "LOAD_USERS": str(users),
            "LOAD_SECONDS": str(seconds),
            "LOAD_PASSWORD": DEFAULT_PASSWORD,
            "LOAD_DEPARTMENTS": ",".join(str(count) for count in SIZES[size].departments),
            "LOAD_SEARCH_TERM": facts["search_term"],
            "LOAD_SUMMARY_FILE": str(summary_file),
            "LOAD_MARKERS_FILE": str(markers_file),
            "LOAD_THINK": str(think[0]),
            "LOAD_THINK_JITTER": str(think[1]),
            "LOAD_SETTLE": str(settle),
            **({"LOAD_WINDOW_FILE": str(window_file)} if window_file else {}),
        }
        # The locustfile stops the run ``seconds`` after the last login; this bound is only a backstop.
        login_allowance = 60 + users // 2
        command = [
            str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
            "--users", str(users), "--spawn-rate", str(min(users, 50)),
            "--run-time", f"{seconds + int(settle) + login_allowance}s", "--stop-timeout", "10",
            "--only-summary", "--loglevel", "WARNING",
        ]
        if kind:
            command += ["--tags", kind, "Salesperson"]
        log_offset = server_log.stat().st_size if server_log else 0
        print(f"{users} users for {seconds} s…", flush=True)
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        subprocess.run(command, cwd=ROOT.parent, env=environment, check=False, stdout=subprocess.DEVNULL)
        after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - started
        summary = json.loads(summary_file.read_text())
        saved = json.loads(markers_file.read_text())
    locked = 0
    if server_log:
        with server_log.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(log_offset)
            locked = handle.read().count("database is locked")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    locust = {"cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1),
              "machine_share": round(cpu / (wall * (os.cpu_count() or 1)), 3) if wall else None}
    run = {"users": users, "kind": kind or "mix", "think_seconds": list(think), "settle_seconds": settle, **summary,
           "writes": check_writes(database_url, run_id, saved), "locked": locked, "locust": locust}
    print_run(run)
    return run


def check_writes(database_url: str, run_id: str, saved: dict) -> dict:
    """Every write the load saw succeed is in the database once; none is there twice: follow-ups
    and calls by their summary, quotes by their notes (a quote's number is unique by itself),
    payments by their note."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT summary, count(*) FROM follow_ups WHERE summary LIKE :prefix GROUP BY summary"
                 " UNION ALL SELECT notes, count(*) FROM quotes WHERE notes LIKE :prefix GROUP BY notes"
                 " UNION ALL SELECT note, count(*) FROM payments WHERE note LIKE :prefix GROUP BY note"),
            {"prefix": f"LT{run_id}-%"},
        ).all()
        numbers = connection.execute(
            text("SELECT count(*), count(DISTINCT number) FROM quotes WHERE notes LIKE :prefix"), {"prefix": f"LT{run_id}-%"}
        ).one()
    engine.dispose()
    resent = saved.get("payments_sent_again", [])
    saved = saved["follow_ups"] + saved["quotes"] + saved.get("payments", [])
    found = dict(rows)
    missing = [marker for marker in saved if marker not in found]
    twice = [marker for marker, count in found.items() if count > 1]
    return {
        "confirmed": len(saved),
        "in_database": sum(found.values()),
        "missing": len(missing),
        "duplicated": len(twice),
        "unconfirmed_but_saved": len(set(found) - set(saved)),
        # Payments whose first answer was lost (a 502 while a server stopped) and that were sent
        # again with the same one-time key: each saved once is what the key is for.
        "payments_sent_again": len(resent),
        "payments_sent_again_saved_once": sum(1 for marker in resent if found.get(marker) == 1),
        "quote_numbers_unique": numbers[0] == numbers[1],
        "exactly_once": not missing and not twice and numbers[0] == numbers[1],
    }


# --- results --------------------------------------------------------------------------------------


def print_run(run: dict) -> None:
    mixed = run["mixed"]
    writes = run["writes"]
    print(
        f"  {run['users']} users, {run['logged_in']} logged in, {run['seconds']} s: {mixed['rps']} req/s, "
        f"p50 {mixed['p50_ms']} ms, p95 {mixed['p95_ms']} ms, p99 {mixed['p99_ms']} ms, "
        f"{mixed['failures']} errors, {run['locked']} locked; writes {writes['confirmed']} confirmed, "
        f"{writes['in_database']} in the database, {'exactly once' if writes['exactly_once'] else 'NOT exactly once'}"
    )
    if "locust" in run:
        locust = run["locust"]
        print(f"    Locust itself: {locust['cpu_seconds']} s CPU in {locust['wall_seconds']} s, "
              f"{locust['machine_share'] * 100 if locust['machine_share'] is not None else 0:.1f} % of the machine")
    for name, figures in run["kinds"].items():
        print(f"    {name:<18} {figures['requests']:>7} req {figures['rps']:>7} /s  p50 {figures['p50_ms']:>5}  p95 {figures['p95_ms']:>5}  p99 {figures['p99_ms']:>5}  errors {figures['failures']}")
    for error, count in run["errors"].items():
        print(f"    error ×{count}: {error}")


def write_results(database: str, size: str, label: str, runs: list[dict], think: tuple[float, float] = (0.0, 0.0),
                  capacity: dict | None = None) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"load-{database}-{size}-{label}.json"
    document = {"machine": machine_line(), "server": label, "database": database, "size": size, "targets": TARGETS,
                "think_seconds": list(think), "runs": runs, **({"capacity": capacity} if capacity else {})}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    print(f"results in {path.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    sys.exit(main())

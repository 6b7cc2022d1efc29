"""The scale-out deployment on this machine: ``python -m bench.cluster`` (``make loadtest-cluster``).

nginx (``deploy/nginx.conf.template``) in front of two gunicorn app servers, PostgreSQL as the
database and Redis for the login rate limiter. It checks that a session started on one app server
works on the other and that the rate limit holds across them, runs the mixed load through nginx with
one and with two app servers, then once more stopping one app server in the middle of the run —
and after every run that each write was saved exactly once. Figures go to
``bench/results/cluster-postgresql.json``.
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.generate import DEFAULT_PASSWORD, SIZES
from bench.loadtest import _free_port, _wait_until_up, drive, serving
from bench.run import RESULTS, machine_line, prepare_database

ROOT = Path(__file__).resolve().parent
TEMPLATE = ROOT.parent / "deploy" / "nginx.conf.template"
# Each app server: two processes of four threads, measured ahead of four single-threaded processes
# on PostgreSQL (bench/README.md, Latest figures), where a thread waiting on the database frees the interpreter.
APP_SERVER = "gunicorn:2x4"
REDIS = os.environ.get("PORTAL_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/0")


class nginx:
    """nginx on a free port in front of ``ports``, with its own prefix folder; ``reload`` changes them."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.folder = Path(tempfile.mkdtemp(prefix="portal-nginx-"))
        self.port = _free_port()

    def _write(self) -> None:
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.ports)
        config = TEMPLATE.read_text().format(prefix=self.folder, listen=f"127.0.0.1:{self.port}", servers=servers)
        (self.folder / "nginx.conf").write_text(config)

    def __enter__(self) -> str:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self._write()
        subprocess.run([binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")], check=True)
        self.binary = binary
        url = f"http://127.0.0.1:{self.port}"
        _wait_until_up(url, subprocess.Popen(["sleep", "60"]))
        return url

    def reload(self, ports: list[int]) -> None:
        self.ports = ports
        self._write()
        subprocess.run([self.binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-s", "reload"], check=True)
        time.sleep(1)

    def __exit__(self, *_exc):
        subprocess.run([self.binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-s", "stop"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _request(port: int, method: str, path: str, body: str = "", cookie: str = "") -> tuple[int, dict, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    result = response.status, {key.lower(): value for key, value in response.getheaders()}, text
    connection.close()
    return result


def _csrf(text: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    return text.split(marker, 1)[1].split('"', 1)[0] if marker in text else ""


def _login(port: int, username: str, password: str) -> tuple[int, str]:
    """POST the login form on one app server; the status and the session cookie it set."""
    _status, headers, page = _request(port, "GET", "/login")
    cookie = headers.get("set-cookie", "").split(";", 1)[0]
    body = urllib.parse.urlencode({"csrf_token": _csrf(page), "username": username, "password": password})
    status, headers, _text = _request(port, "POST", "/login", body, cookie)
    return status, headers.get("set-cookie", "").split(";", 1)[0] or cookie


def check_session_and_rate_limit(port_a: int, port_b: int, username: str) -> dict:
    """A session from server A opens My day on server B; failed logins spread over A and B meet one
    limit (5 per 5 minutes per username by default)."""
    status, cookie = _login(port_a, username, DEFAULT_PASSWORD)
    on_b, headers, _text = _request(port_b, "GET", "/", cookie=cookie)
    session_moves = status in (302, 303) and on_b == 200
    answers = []
    probe = f"rate.probe.{int(time.time())}"  # a fresh name: the limiter remembers earlier runs
    for attempt in range(8):
        port = port_a if attempt % 2 == 0 else port_b
        answers.append(_login(port, probe, "wrong-password")[0])
    limited_at = next((number for number, status in enumerate(answers, start=1) if status == 429), None)
    return {"session_started_on_a_works_on_b": session_moves, "failed_logins": answers,
            "rate_limited_at_attempt": limited_at, "rate_limit_across_servers": limited_at is not None and limited_at <= 6}


def _stop_inside_window(server, window_file: Path, after: float, run_over: threading.Event) -> None:
    """Stop ``server`` ``after`` seconds into the measured window (once every user has logged in,
    which takes longer on a busy machine); if the run ends without the window opening, at its end."""
    while not window_file.exists() and not run_over.is_set():
        time.sleep(0.2)
    run_over.wait(after)
    server.__exit__(None, None, None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="medium")
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_CLUSTER_DATABASE_URL",
                                                               "postgresql+psycopg://postgres@127.0.0.1:5432/portal_cluster"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--app-server", default=APP_SERVER, help="each app server: gunicorn:<workers>x<threads>")
    args = parser.parse_args(argv)
    url, facts, _generated = prepare_database(args.size, args.database_url)
    print(machine_line())
    environment = {"PORTAL_RATELIMIT_STORAGE": REDIS}
    results = {"machine": machine_line(), "size": args.size, "app_server": args.app_server, "users": args.users}
    with serving(args.app_server, url, environment) as (url_a, log_a), serving(args.app_server, url, environment) as (url_b, log_b):
        port_a, port_b = int(url_a.rsplit(":", 1)[1]), int(url_b.rsplit(":", 1)[1])
        results["checks"] = check_session_and_rate_limit(port_a, port_b, facts["sales"])
        print(json.dumps(results["checks"], ensure_ascii=False), flush=True)
        with nginx([port_a]) as base_url:
            results["one_server"] = drive(base_url, args.users, args.seconds, args.size, facts, url, server_log=None)
        with nginx([port_a, port_b]) as base_url:
            results["two_servers"] = drive(base_url, args.users, args.seconds, args.size, facts, url, server_log=None)
    # Failover: a fresh pair; server B stops a third of the way into the measured window.
    with serving(args.app_server, url, environment) as (url_a, _log_a):
        server_b = serving(args.app_server, url, environment)
        url_b, _log_b = server_b.__enter__()
        ports = [int(url_a.rsplit(":", 1)[1]), int(url_b.rsplit(":", 1)[1])]
        window_file = Path(tempfile.mkdtemp(prefix="portal-window-")) / "open"
        with nginx(ports) as base_url:
            run_over = threading.Event()
            stopper = threading.Thread(target=_stop_inside_window, args=(server_b, window_file, args.seconds / 3, run_over))
            stopper.start()
            try:
                results["one_server_stopped"] = drive(base_url, args.users, args.seconds, args.size, facts, url,
                                                      server_log=None, window_file=window_file)
            finally:
                run_over.set()
                stopper.join()
        shutil.rmtree(window_file.parent, ignore_errors=True)
    ok = (results["checks"]["session_started_on_a_works_on_b"] and results["checks"]["rate_limit_across_servers"]
          and all(results[run]["writes"]["exactly_once"] for run in ("one_server", "two_servers", "one_server_stopped"))
          and results["one_server_stopped"]["logged_in"] == args.users)  # the stop fell inside the window
    results["ok"] = ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = "" if args.app_server == APP_SERVER else "-" + args.app_server.replace(":", "-")
    (RESULTS / f"cluster-postgresql{label}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"one server {results['one_server']['mixed']['rps']} req/s, two servers {results['two_servers']['mixed']['rps']} req/s; "
          f"errors while one server stopped {results['one_server_stopped']['mixed']['failures']}; ok={ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

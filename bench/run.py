"""Benchmark runner: ``python -m bench.run --size medium|large [--database-url URL]``.

Creates a fresh database (a SQLite file under bench/.data/, or the PostgreSQL database named by
``--database-url`` / ``PORTAL_BENCH_DATABASE_URL``), migrates and fills it with ``bench.generate``
(a generated copy is reused when size, migrations and generator are unchanged and it was made
today), then times warm requests through the Flask test client and prints each figure beside its
target. Results go to bench/results/latest.json and bench/results/<database>-<size>.json.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, make_url, text

from bench import scenarios
from bench.generate import SIZES, generate

ROOT = Path(__file__).resolve().parent
DATA = ROOT / ".data"
RESULTS = ROOT / "results"
MIGRATIONS = ROOT.parent / "migrations"
TIMEZONE = "Asia/Shanghai"
MARKER = "portal-bench "


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="large")
    parser.add_argument("--database-url", default=os.environ.get("PORTAL_BENCH_DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=None, help="timed requests per figure (default: per kind)")
    parser.add_argument("--only", default=None, help="comma-separated scenarios (" + ", ".join(scenarios.SCENARIOS) + "); their "
                        "figures replace the same figures in the stored results, the others stay")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    if only and set(only) - set(scenarios.SCENARIOS):
        parser.error("unknown scenario: " + ", ".join(sorted(set(only) - set(scenarios.SCENARIOS))))

    started = time.perf_counter()
    url, facts, generated = prepare_database(args.size, args.database_url)
    database = make_url(url).get_backend_name()
    print(f"database: {database}, size {args.size}; data {'generated in %.1f s' % facts['seconds'] if generated else 'reused (generated in %.1f s)' % facts['seconds']}")
    print(machine_line())

    results = scenarios.measure(url, facts, str(DATA / "instance"), repeat=args.repeat, only=only)
    for entry in results:
        entry.update(size=args.size, database=database)
    results += compare_with_medium(results, args.size, database)
    write_results(results, args.size, database, merge=bool(only))
    print_table(results)
    print(f"finished in {time.perf_counter() - started:.0f} s; results in {RESULTS.relative_to(ROOT.parent)}/")
    return 0


# --- the database ---------------------------------------------------------------------------------


def data_key(size: str) -> str:
    """Generated data is reusable while migrations, generator and day (dates are relative) stay the same."""
    digest = hashlib.sha256(size.encode())
    for path in sorted(MIGRATIONS.rglob("*.py")) + sorted(ROOT.glob("generate*.py")) + [ROOT / "words.py"]:
        digest.update(path.read_bytes())
    today = datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()
    return f"{digest.hexdigest()[:12]}-{today}"


def prepare_database(size: str, database_url: str | None) -> tuple[str, dict, bool]:
    """(url, facts, generated now?) of a database holding only generated data of ``size``."""
    key = data_key(size)
    if database_url and make_url(database_url).get_backend_name() == "postgresql":
        return _prepare_postgresql(database_url, size, key)
    if database_url:
        raise SystemExit("--database-url takes a PostgreSQL URL; SQLite runs use bench/.data/")
    return _prepare_sqlite(size, key)


def _build(url: str, size: str) -> dict:
    """Migrate the empty database at ``url`` and generate ``size`` data into it."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}, instance_path=str(DATA / "instance"))
    with app.app_context():
        upgrade()
        facts = generate(size, db.engine, tz=TIMEZONE)
        # A running portal keeps statistics fresh (autovacuum; hourly PRAGMA optimize on SQLite):
        # measure with the statistics it would have.
        if db.engine.dialect.name == "postgresql":
            # Autovacuum also marks the pages all-visible, which index-only scans need: in a database
            # just filled they read every row instead (a head's follow-ups due counted in 13.6 ms
            # instead of 1.5 ms on the large data).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (ANALYZE)"))
        else:
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        db.engine.dispose()
    return facts


def _prepare_sqlite(size: str, key: str) -> tuple[str, dict, bool]:
    DATA.mkdir(parents=True, exist_ok=True)
    cached = DATA / f"sqlite-{size}-{key}.db"
    meta = cached.with_suffix(".json")
    generated = False
    if not (cached.exists() and meta.exists()):
        for old in DATA.glob(f"sqlite-{size}-*"):
            old.unlink()
        building = DATA / f"building-{size}.db"
        _remove_sqlite(building)
        print(f"generating {size} data into a fresh SQLite database…", flush=True)
        facts = _build(f"sqlite:///{building}", size)
        connection = sqlite3.connect(building)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        building.rename(cached)
        _remove_sqlite(building)
        meta.write_text(json.dumps(facts))
        generated = True
    run_copy = DATA / f"run-{size}.db"
    _remove_sqlite(run_copy)
    shutil.copyfile(cached, run_copy)
    return f"sqlite:///{run_copy}", json.loads(meta.read_text()), generated


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _prepare_postgresql(database_url: str, size: str, key: str) -> tuple[str, dict, bool]:
    """Use the named database: reuse it when it holds this generation, rebuild it when it holds an
    older one, create it when missing; a database with other tables in it is left alone."""
    url = make_url(database_url)
    name = url.database
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quoted = server.dialect.identifier_preparer.quote(name)
    with server.connect() as connection:
        row = connection.execute(
            text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
            {"name": name},
        ).first()
        marker = json.loads(row[0][len(MARKER):]) if row and row[0] and row[0].startswith(MARKER) else None
        if marker and marker["key"] == key:
            server.dispose()
            return database_url, marker["facts"], False
        if row and marker is None and _has_tables(url):
            raise SystemExit(f"database {name} holds tables that no benchmark made; give a fresh database name")
        if row:
            connection.execute(text(f"DROP DATABASE {quoted} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    print(f"generating {size} data into PostgreSQL database {name}…", flush=True)
    facts = _build(database_url, size)
    with server.connect() as connection:
        comment = MARKER + json.dumps({"key": key, "facts": facts})
        connection.execute(text(f"COMMENT ON DATABASE {quoted} IS " + _sql_string(comment)))
    server.dispose()
    return database_url, facts, True


def _has_tables(url) -> bool:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
    engine.dispose()
    return bool(count)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- results --------------------------------------------------------------------------------------


def machine_line() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    load = ", load %.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    return (
        f"machine: {os.cpu_count()} cores, {cpu or 'unknown CPU'}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}{load}, {python_speed_ms():.0f} ms per million Python loop steps"
    )


def python_speed_ms(steps: int = 1_000_000) -> float:
    """The best of three runs of a plain Python loop: shared machines of the same model ran it
    twice as slowly on some days, which figures measured on different days must be read against."""
    best = float("inf")
    for _run in range(3):
        started = time.perf_counter()
        total = 0
        for step in range(steps):
            total += step
        best = min(best, time.perf_counter() - started)
    return best * 1000


def compare_with_medium(results: list[dict], size: str, database: str) -> list[dict]:
    """List p95 at large ÷ the same figure at medium (stored by the last medium run)."""
    if size != "large":
        return []
    stored = RESULTS / f"{database}-medium.json"
    if not stored.exists():
        print(f"no medium result for {database} yet ({stored.name}); run `make bench SIZE=medium` to compare sizes")
        return []
    written = datetime.fromtimestamp(stored.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    print(f"comparing list p95 with the medium run of {written} ({stored.name})")
    medium = {entry["name"]: entry["value"] for entry in json.loads(stored.read_text())}
    large = {entry["name"]: entry["value"] for entry in results}
    ratios = []
    for entry in results:
        name = entry["name"]
        scenario = name.rsplit(".", 2)[0]
        # A salesperson has fewer than 50 pages at medium: compare only the same page.
        same_page = medium.get(f"{scenario}.page_number") == large.get(f"{scenario}.page_number")
        if name.startswith("list.") and name.endswith((".page.p95", ".fragment.p95")) and medium.get(name) and same_page:
            ratios.append(
                {
                    "name": name.removesuffix(".p95") + ".large_over_medium",
                    "value": round(entry["value"] / medium[name], 2),
                    "unit": "ratio",
                    "limit": scenarios.LIMITS["large_over_medium"],
                    "size": size,
                    "database": database,
                }
            )
    return ratios


def write_results(results: list[dict], size: str, database: str, merge: bool = False) -> None:
    """Write the run's figures; with ``merge`` (a run of some scenarios) they replace the same
    figures of the stored results of this database and size, in place."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stored = RESULTS / f"{database}-{size}.json"
    latest = RESULTS / "latest.json"
    if merge and not stored.exists() and latest.exists():
        # A fresh clone keeps only latest.json: merge into it when it is of this database and size.
        entries = json.loads(latest.read_text())
        if entries and (entries[0].get("database"), entries[0].get("size")) == (database, size):
            stored = latest
    merged = merge and stored.exists()
    if merged:
        fresh = {entry["name"]: entry for entry in results}
        kept = json.loads(stored.read_text())
        names = {entry["name"] for entry in kept}
        results = [fresh.get(entry["name"], entry) for entry in kept] + [entry for entry in results if entry["name"] not in names]
    body = json.dumps(results, ensure_ascii=False, indent=1) + "\n"
    (RESULTS / f"{database}-{size}.json").write_text(body)
    if not merge or merged:  # a partial run with nothing to merge into leaves latest.json alone
        (RESULTS / "latest.json").write_text(body)


def verdict(entry: dict) -> str:
    if entry["limit"] is None:
        return ""
    return "PASS" if entry["value"] <= entry["limit"] else "FAIL"


def print_table(results: list[dict]) -> None:
    width = max(len(entry["name"]) for entry in results)
    targets = [entry for entry in results if entry["limit"] is not None]
    figures = [entry for entry in results if entry["limit"] is None]
    for title, rows in (("figures", figures), ("targets", targets)):
        print(f"\n{title}:")
        print(f"{'name':<{width}}  {'value':>10}  {'unit':<10}  {'limit':>8}  result")
        for entry in rows:
            limit = "" if entry["limit"] is None else f"{entry['limit']:g}"
            print(f"{entry['name']:<{width}}  {entry['value']:>10g}  {entry['unit']:<10}  {limit:>8}  {verdict(entry)}")
    failed = [entry["name"] for entry in targets if verdict(entry) == "FAIL"]
    print(f"\n{len(targets) - len(failed)} of {len(targets)} targets met" + (f"; missed: {', '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    sys.exit(main())

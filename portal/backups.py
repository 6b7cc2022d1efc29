"""Backups of the SQLite database that are known to restore, and the restore itself.

A backup is SQLite's online backup of one read snapshot of the database, taken while the portal
runs: the row count of every table is read in that snapshot, the copy is checked with ``PRAGMA
integrity_check`` and must hold the same counts, or it is removed and the backup fails. Only the
newest ``keep`` backups stay.

A restore (with the portal stopped) checks the file the same way, renames the current database
aside with a timestamp (nothing is deleted), and copies the backup into its place.

PostgreSQL is backed up and restored with ``pg_dump --format=custom`` and ``pg_restore`` (README,
Operations).
"""
import sqlite3
from datetime import datetime
from pathlib import Path

BACKUP_PREFIX = "portal-"
BACKUP_SUFFIX = ".db"


class BackupError(Exception):
    """A backup or restore that must not go on; the message says why."""


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """{table: rows} of every table of the database (SQLite's own tables left out)."""
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in _tables(connection)}


def check_database(path: Path) -> dict[str, int]:
    """The row counts of a portal database file that passes ``PRAGMA integrity_check``; raises
    ``BackupError`` for a missing file, one that is not SQLite, a damaged one or one without the
    portal's schema (no ``alembic_version``)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path}: cannot be opened ({error})") from error
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise BackupError(f"{path}: fails the integrity check: {'; '.join(str(row[0]) for row in result[:5])}")
        counts = row_counts(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: damaged or not a SQLite database ({error})") from error
    finally:
        connection.close()
    if "alembic_version" not in counts:
        raise BackupError(f"{path}: not a portal database (no alembic_version table)")
    return counts


def _compare(expected: dict[str, int], found: dict[str, int]) -> None:
    if found != expected:
        differences = [f"{name}: {expected.get(name)} → {found.get(name)}"
                       for name in sorted(set(expected) | set(found)) if expected.get(name) != found.get(name)]
        raise BackupError("the copy's row counts differ from the source: " + "; ".join(differences[:10]))


def back_up_sqlite(source_path: Path, folder: Path, now: datetime | None = None) -> tuple[Path, dict[str, int]]:
    """Copy the database into ``folder`` as ``portal-<timestamp>.db`` and verify the copy.

    The source's row counts and the copy come from one read transaction, so they describe the same
    moment however many writers are at work (WAL mode: writers go on meanwhile). A copy that fails
    the integrity check or whose counts differ is removed and ``BackupError`` raised.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target_path = folder / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"
    source = sqlite3.connect(source_path, isolation_level=None, timeout=10)
    target = sqlite3.connect(target_path)
    try:
        source.execute("BEGIN")
        expected = row_counts(source)  # the read snapshot starts here; the backup reads the same one
        source.backup(target)
        source.execute("COMMIT")
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        target.close()
        _compare(expected, check_database(target_path))
    except BaseException:
        target.close()
        target_path.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target_path, expected


def backups_in(folder: Path) -> list[Path]:
    """The backups of ``folder``, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if path.is_file())


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups (at least one stays); returns what was removed."""
    existing = backups_in(folder)
    removed = existing[:-max(keep, 1)]
    for path in removed:
        path.unlink()
        for sidecar in _sidecars(path):
            sidecar.unlink(missing_ok=True)
    return removed


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def restore_sqlite(backup_path: Path, database_path: Path, now: datetime | None = None) -> tuple[Path | None, dict[str, int]]:
    """Replace the database with a checked backup; the portal must be stopped.

    The backup must pass ``check_database``. The current database is checkpointed (its write-ahead
    log folded in) and renamed ``<name>.before-restore-<timestamp>``; when its log is still in use
    afterwards another process has it open, and nothing is changed. The backup is copied into place
    and its row counts compared with the file's. Returns the renamed database (None when there was
    none) and the restored row counts.
    """
    backup_path, database_path = Path(backup_path), Path(database_path)
    expected = check_database(backup_path)
    if backup_path.resolve() == database_path.resolve():
        raise BackupError("the backup is the database itself")
    aside = None
    if database_path.exists():
        connection = sqlite3.connect(database_path, timeout=10)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        if any(path.exists() for path in _sidecars(database_path)):
            raise BackupError(f"{database_path} is open in another process: stop the portal first")
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        aside = database_path.with_name(f"{database_path.name}.before-restore-{stamp}")
        if aside.exists():
            raise BackupError(f"{aside} exists already")
        database_path.rename(aside)
    try:
        source = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
        target = sqlite3.connect(database_path)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # the portal turns WAL on when it opens it
        finally:
            target.close()
            source.close()
        restored = check_database(database_path)
        _compare(expected, restored)
    except BaseException:
        database_path.unlink(missing_ok=True)
        for path in _sidecars(database_path):
            path.unlink(missing_ok=True)
        if aside is not None:
            aside.rename(database_path)
        raise
    return aside, restored

"""The SQLite database: one connection per request, pragmas, migrations, backup.

Transactions are explicit. Connections are opened with isolation_level=None
so Python never starts a transaction behind our back; a write that reads
first uses `with write_transaction(db):`, which issues BEGIN IMMEDIATE and
so takes the write lock before the read. Two students submitting at the same
moment then queue on busy_timeout instead of failing with "database is
locked" when a deferred transaction tries to upgrade its lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from flask import current_app, g

from .migrations import migrations

BUSY_TIMEOUT_MS = 10_000


def utcnow() -> str:
    """Current UTC time as ISO 8601 with seconds, e.g. 2026-03-01T14:05:09+00:00."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def connect(path: str) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable in WAL mode against application crashes (SIGKILL);
    # only a power loss can drop the last transactions.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.row_factory = sqlite3.Row
    return sqlite_utils.Database(conn, execute_plugins=False)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn = db.conn
    if conn.in_transaction:
        # Nested use joins the outer transaction.
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> list[str]:
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        db.conn.close()


def init_app(app) -> None:
    app.teardown_appcontext(close_db)
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    db = connect(app.config["DATABASE"])
    try:
        migrate(db)
    finally:
        db.conn.close()


def backup(source_path: str, target_path: str) -> str:
    """Online backup with SQLite's backup API, then an integrity check of the copy.

    Returns the integrity_check result ("ok" when the copy is sound); raises
    RuntimeError otherwise so a broken backup is never mistaken for a good one.
    The copy is written beside the target and renamed over it only once it has
    passed the check, so a failed or interrupted backup leaves the previous
    backup in place.
    """
    if not Path(source_path).is_file():
        raise RuntimeError(f"there is no database at {source_path}")
    target = Path(target_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(source_path, timeout=BUSY_TIMEOUT_MS / 1000)
        dest = sqlite3.connect(str(partial))
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
            source.close()
        if result != "ok":
            raise RuntimeError(f"integrity check of the backup failed: {result}")
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return result

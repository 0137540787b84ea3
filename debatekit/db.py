"""The SQLite database: one connection per server thread (reused across requests), pragmas, migrations, backup.

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
import threading
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


# Each server thread keeps its connection from one request to the next
# (waitress runs a fixed pool of threads). Opening a connection and setting its
# pragmas costs about 1 ms, a third of a lesson page or an autosave; and when
# the last connection to a WAL database closes, SQLite checkpoints and deletes
# the -wal and -shm files, which the next request then creates again.
# bench/run.py: server CPU per lesson page 3.0 -> 2.5 ms, per autosave
# 2.6 -> 1.8 ms (BENCHMARKS.md).
# A request still gets a connection with no transaction open (close_db rolls
# back anything left), and a request that ended in an unhandled error leaves
# its connection behind, so the next one starts on a fresh connection.
_per_thread = threading.local()


def _thread_connection(path: str) -> sqlite_utils.Database:
    held = getattr(_per_thread, "held", None)
    if held is not None:
        held_path, held_db = held
        if held_path == path:
            return held_db
        held_db.conn.close()  # another app (tests) or database in this thread
    db = connect(path)
    _per_thread.held = (path, db)
    return db


def _drop_thread_connection() -> None:
    held = getattr(_per_thread, "held", None)
    _per_thread.held = None
    if held is not None:
        held[1].conn.close()


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = _thread_connection(current_app.config["DATABASE"])
    return g.db


def close_db(exc=None) -> None:
    """End of request: roll back anything left open; keep the connection for
    the thread's next request unless the request failed."""
    db = g.pop("db", None)
    if db is None:
        return
    broken = exc is not None
    try:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
    except sqlite3.Error:
        broken = True
    if broken:
        _drop_thread_connection()


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

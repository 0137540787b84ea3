"""Schema migrations: append-only and numbered. Never edit one that has shipped;
add the next number instead."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Migrations

migrations = Migrations("debatekit")


def run_statements(db, script: str) -> None:
    """Run a multi-statement script inside the migration's transaction.

    sqlite3's executescript() would COMMIT first and break the atomicity that
    Migrations gives each step, so statements are executed one by one.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement!r}")


@migrations(name="0001_initial")
def m0001_initial(db):
    run_statements(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('teacher', 'student')),
            password_hash TEXT NOT NULL,
            session_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            password_changed_at TEXT
        );

        -- Failed sign-ins, kept only for the throttling window.
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            failed_at TEXT NOT NULL
        );
        CREATE INDEX login_failures_key ON login_failures (key, failed_at);

        CREATE TABLE classes (
            id INTEGER PRIMARY KEY,
            teacher_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            join_code TEXT NOT NULL UNIQUE,
            timezone TEXT NOT NULL,
            paper_size TEXT NOT NULL DEFAULT 'letter' CHECK (paper_size IN ('letter', 'a4')),
            archived INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX classes_teacher ON classes (teacher_id);

        CREATE TABLE enrollments (
            class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            joined_at TEXT NOT NULL,
            PRIMARY KEY (class_id, student_id)
        );
        CREATE INDEX enrollments_student ON enrollments (student_id);

        -- One row per "add students" form, so a re-sent form adds nobody twice.
        CREATE TABLE student_batches (
            batch_id TEXT PRIMARY KEY,
            class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        );

        CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
            lesson_slug TEXT NOT NULL,
            motion_id TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('two-sides', 'small-groups', 'roles', 'sac')),
            group_size INTEGER,
            instructions TEXT NOT NULL DEFAULT '',
            opens_at TEXT,
            due_at TEXT,
            cutoff_at TEXT,
            allow_resubmit INTEGER NOT NULL DEFAULT 0,
            seed INTEGER,
            drawn_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX assignments_class ON assignments (class_id);

        CREATE TABLE positions (
            assignment_id INTEGER NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            position TEXT,
            group_no INTEGER,
            speaking_order INTEGER,
            locked INTEGER NOT NULL DEFAULT 0,
            absent INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (assignment_id, student_id)
        );
        CREATE INDEX positions_student ON positions (student_id);

        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'returned')),
            claim TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            rebuttal TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            submitted_at TEXT,
            late INTEGER NOT NULL DEFAULT 0,
            UNIQUE (assignment_id, student_id)
        );
        CREATE INDEX submissions_student ON submissions (student_id);

        CREATE TABLE submission_versions (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            claim TEXT NOT NULL,
            evidence TEXT NOT NULL,
            reasoning TEXT NOT NULL,
            rebuttal TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            late INTEGER NOT NULL DEFAULT 0,
            UNIQUE (submission_id, version)
        );

        CREATE TABLE feedback (
            submission_id INTEGER PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
            scores TEXT NOT NULL DEFAULT '{}',
            comment TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            released_at TEXT
        );
        """
    )

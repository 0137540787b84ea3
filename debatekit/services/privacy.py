"""A student's data: everything stored about them, as JSON, and deletion
that leaves no trace. Used by the account page, the teacher's roster and the
export-student / delete-student commands."""

from __future__ import annotations

import json
import logging
import sqlite3

from ..db import utcnow, write_transaction
from . import ServiceError
from . import classes
from .submissions import evidence_items


def _rows(db, sql: str, args) -> list[dict]:
    return [dict(r) for r in db.execute(sql, args).fetchall()]


def export_student(db, student_id: int, *, include_unreleased_feedback: bool = False) -> dict:
    user = db.execute(
        "SELECT id, username, display_name, role, created_at, password_changed_at FROM users WHERE id = ? AND role = 'student'",
        [student_id],
    ).fetchone()
    if user is None:
        raise ServiceError("No such student.", status=404)
    classes = _rows(
        db,
        """SELECT c.name AS class, t.display_name AS teacher, e.joined_at
           FROM enrollments e JOIN classes c ON c.id = e.class_id JOIN users t ON t.id = c.teacher_id
           WHERE e.student_id = ? ORDER BY e.joined_at""",
        [student_id],
    )
    positions = _rows(
        db,
        """SELECT a.id AS assignment_id, c.name AS class, a.lesson_slug, a.motion_id, p.position, p.group_no AS "group",
                  p.speaking_order, p.absent
           FROM positions p JOIN assignments a ON a.id = p.assignment_id JOIN classes c ON c.id = a.class_id
           WHERE p.student_id = ? ORDER BY a.id""",
        [student_id],
    )
    submissions = []
    for s in _rows(db, "SELECT * FROM submissions WHERE student_id = ? ORDER BY assignment_id", [student_id]):
        versions = _rows(db, "SELECT version, claim, evidence, reasoning, rebuttal, submitted_at, late FROM submission_versions WHERE submission_id = ? ORDER BY version", [s["id"]])
        for v in versions:
            v["evidence"] = evidence_items(v["evidence"])
        feedback = db.execute("SELECT scores, comment, released_at FROM feedback WHERE submission_id = ?", [s["id"]]).fetchone()
        if feedback is not None and (feedback["released_at"] or include_unreleased_feedback):
            feedback = {"scores": json.loads(feedback["scores"] or "{}"), "comment": feedback["comment"], "released_at": feedback["released_at"]}
        else:
            feedback = None
        submissions.append(
            {
                "assignment_id": s["assignment_id"],
                "status": s["status"],
                "current_text": {"claim": s["claim"], "evidence": evidence_items(s["evidence"]), "reasoning": s["reasoning"], "rebuttal": s["rebuttal"]},
                "version": s["version"],
                "updated_at": s["updated_at"],
                "submitted_at": s["submitted_at"],
                "late": bool(s["late"]),
                "submitted_versions": versions,
                "feedback": feedback,
            }
        )
    return {
        "exported_at": utcnow(),
        "about": "Everything Civic Debate Kit stores about this student. Passwords are stored only as a one-way hash and are not included.",
        "account": dict(user),
        "classes": classes,
        "positions": positions,
        "submissions": submissions,
    }


def delete_student(db, student_id: int, *, requested_by_teacher: int | None = None) -> str:
    """Delete a student and everything about them. A teacher may delete only a
    student who is in no other teacher's class (the account is shared)."""
    row = db.execute("SELECT username FROM users WHERE id = ? AND role = 'student'", [student_id]).fetchone()
    if row is None:
        raise ServiceError("No such student.", status=404)
    if requested_by_teacher is not None and classes.teachers_of(db, student_id) - {requested_by_teacher}:
        raise ServiceError(
            "This student is also in another teacher's class, so their account cannot be deleted from here. "
            "Remove them from your roster instead, or ask whoever runs the kit to delete the account."
        )
    with write_transaction(db):
        # Foreign keys cascade: enrollments, positions, submissions, their versions and feedback.
        db.execute("DELETE FROM users WHERE id = ?", [student_id])
        db.execute("DELETE FROM login_failures WHERE key = ?", [f"user:{row['username'].lower()}"])
    scrub_deleted_content(db)
    return row["username"]


def scrub_deleted_content(db) -> None:
    """SQLite leaves deleted rows (and the earlier drafts an autosave replaced) in
    free space inside the file and in the write-ahead log until something
    overwrites them. Rebuild the file and empty the log, so a deleted student's
    words cannot be read back from the instance folder. Deleting a student is
    rare; the rebuild takes about a second per few tens of megabytes."""
    try:
        db.execute("VACUUM")
        # A reader holding an old snapshot keeps the log until it finishes: best effort.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as error:  # the deletion itself is committed; say so rather than fail
        logging.getLogger(__name__).warning("deleted rows not yet scrubbed from the database file: %s", error)

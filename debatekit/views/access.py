"""Authorization, once per object: each loader returns the object when the user
may see it and aborts with 404 otherwise, so a page never reveals whether
another teacher's class or another student's work exists."""

from __future__ import annotations

from flask import abort

from ..db import get_db

# SQLite integers are 64-bit; larger ids in a URL can match nothing.
MAX_ID = 2**63 - 1


def _check_id(value: int) -> int:
    if not isinstance(value, int) or value < 1 or value > MAX_ID:
        abort(404)
    return value


def get_class_for(user, class_id: int) -> dict:
    """A class the signed-in teacher owns."""
    _check_id(class_id)
    if user is None or not user.is_authenticated or not user.is_teacher:
        abort(404)
    row = get_db().execute("SELECT * FROM classes WHERE id = ? AND teacher_id = ?", [class_id, user.id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)


def get_student_in_class(user, class_id: int, student_id: int) -> tuple[dict, dict]:
    """A student on the roster of a class the signed-in teacher owns."""
    klass = get_class_for(user, class_id)
    _check_id(student_id)
    row = get_db().execute(
        "SELECT u.id, u.username, u.display_name FROM enrollments e JOIN users u ON u.id = e.student_id "
        "WHERE e.class_id = ? AND e.student_id = ?",
        [class_id, student_id],
    ).fetchone()
    if row is None:
        abort(404)
    return klass, dict(row)


def get_assignment_for(user, assignment_id: int) -> dict:
    """An assignment of a class the teacher owns, or of a class the student is enrolled in.

    The returned dict carries the class's name, time zone and paper size, and
    `viewer_role` ('teacher' or 'student') so views need no second lookup.
    """
    _check_id(assignment_id)
    if user is None or not user.is_authenticated:
        abort(404)
    db = get_db()
    if user.is_teacher:
        row = db.execute(
            """SELECT a.*, c.name AS class_name, c.timezone, c.paper_size, c.teacher_id, c.archived AS class_archived
               FROM assignments a JOIN classes c ON c.id = a.class_id
               WHERE a.id = ? AND c.teacher_id = ?""",
            [assignment_id, user.id],
        ).fetchone()
    else:
        row = db.execute(
            """SELECT a.*, c.name AS class_name, c.timezone, c.paper_size, c.teacher_id, c.archived AS class_archived
               FROM assignments a JOIN classes c ON c.id = a.class_id
               JOIN enrollments e ON e.class_id = c.id AND e.student_id = ?
               WHERE a.id = ?""",
            [user.id, assignment_id],
        ).fetchone()
    if row is None:
        abort(404)
    found = dict(row)
    found["viewer_role"] = "teacher" if user.is_teacher else "student"
    return found


def get_teacher_assignment(user, assignment_id: int) -> dict:
    """As get_assignment_for, but only for the owning teacher (students get 404)."""
    found = get_assignment_for(user, assignment_id)
    if found["viewer_role"] != "teacher":
        abort(404)
    return found


def get_submission_for(user, submission_id: int) -> tuple[dict, dict]:
    """A submission in an assignment of a class the signed-in teacher owns,
    with that assignment (students never reach another student's submission)."""
    _check_id(submission_id)
    if user is None or not user.is_authenticated or not user.is_teacher:
        abort(404)
    row = get_db().execute(
        """SELECT s.id, s.assignment_id, s.student_id, s.status, u.display_name
           FROM submissions s JOIN assignments a ON a.id = s.assignment_id
           JOIN classes c ON c.id = a.class_id JOIN users u ON u.id = s.student_id
           WHERE s.id = ? AND c.teacher_id = ?""",
        [submission_id, user.id],
    ).fetchone()
    if row is None:
        abort(404)
    return dict(row), get_teacher_assignment(user, row["assignment_id"])

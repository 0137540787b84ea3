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

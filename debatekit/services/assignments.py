"""Assignments: a lesson motion given to a class, with positions and due dates."""

from __future__ import annotations


def assignments_of_class(db, class_id: int) -> list[dict]:
    rows = db.execute(
        "SELECT * FROM assignments WHERE class_id = ? ORDER BY COALESCE(due_at, created_at) DESC, id DESC",
        [class_id],
    ).fetchall()
    return [dict(r) for r in rows]


def assignments_of_student(db, student_id: int) -> list[dict]:
    """Open assignments of every class the student is enrolled in, soonest due first."""
    rows = db.execute(
        """
        SELECT a.*, c.name AS class_name, c.timezone
        FROM assignments a
        JOIN enrollments e ON e.class_id = a.class_id AND e.student_id = ?
        JOIN classes c ON c.id = a.class_id AND c.archived = 0
        ORDER BY a.due_at IS NULL, a.due_at, a.id
        """,
        [student_id],
    ).fetchall()
    return [dict(r) for r in rows]

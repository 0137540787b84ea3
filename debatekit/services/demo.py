"""The demo classroom of `flask --app app seed-demo`: a teacher, 24 students,
an assignment with positions drawn, drafts, submissions and released feedback,
so a newcomer sees a living class in a minute. Built through the same
services the web pages use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from . import ServiceError, accounts, assignments, classes, submissions

DEMO_TEACHER = "demo-teacher"
DEMO_TEACHER_PASSWORD = "demo-classroom"
DEMO_STUDENT_PASSWORD = "demo-student"
DEMO_STUDENTS = [
    "Aaliyah Brooks", "Mateo Hernández", "Sofia Rossi", "Liam O'Connor", "Camila Reyes", "Noah Kim",
    "Ximena Torres", "Ethan Nguyen", "Valentina Cruz", "Jayden Williams", "Isabella Martínez", "Lucas Silva",
    "Amara Okafor", "Diego Ramírez", "Emma Johansson", "Santiago López", "Priya Patel", "Gabriel Moreno",
    "Zoe Chen", "Andrés Castillo", "Maya Thompson", "Leonardo Vargas", "Hannah Schmidt", "Julian Ortega",
]

_ARGUMENTS = {
    "pro": {
        "claim": "A state's consent should come first, because the UN Charter makes every member legally equal.",
        "evidence": [{"text": "Article 2(4) tells members not to use force against another state's territory.", "source": "un-charter"},
                     {"text": "The ICJ called non-intervention a right of every sovereign state.", "source": "icj-nicaragua"}],
        "reasoning": "If one country could act on another's land without asking, the **equality** the Charter promises would mean little. Asking first keeps cooperation on equal terms.",
        "rebuttal": "The other side says some governments are *unable* to stop armed groups. But the doctrine of \"unwilling or unable\" is not settled law, and inviting help is always possible.",
    },
    "con": {
        "claim": "Consent matters, but it should not be an absolute rule when a government cannot stop armed groups.",
        "evidence": [{"text": "Article 51 recognises a right of self-defence if an armed attack occurs.", "source": "un-charter"}],
        "reasoning": "Self-defence is also part of the Charter. A rule with no exceptions could leave people unprotected.",
        "rebuttal": "They say consent protects equality. Yet self-defence is also in the Charter, so the law already balances the two.",
    },
}


def seed(db, *, lesson_slug: str, motion, now: datetime | None = None) -> dict:
    """Create the demo. `motion` is a MotionChoice for the demo lesson motion."""
    if accounts.get_user_by_username(db, DEMO_TEACHER) is not None:
        raise ServiceError(f"The demo already exists: sign in as {DEMO_TEACHER} / {DEMO_TEACHER_PASSWORD}.")
    now = now or datetime.now(timezone.utc)
    teacher = accounts.create_user(db, username=DEMO_TEACHER, display_name="Ms. Demo", password=DEMO_TEACHER_PASSWORD, role="teacher")
    class_id = classes.create_class(db, teacher.id, "Demo: Period 2 Civics", "America/Chicago")
    created = classes.add_students(db, class_id, "\n".join(DEMO_STUDENTS))
    # One shared, known password so a newcomer can try the student side too.
    shared_hash = accounts.hash_password(DEMO_STUDENT_PASSWORD)
    db.conn.executemany("UPDATE users SET password_hash = ? WHERE id = ?", [(shared_hash, s.id) for s in created])
    due_local = (now + timedelta(days=3)).astimezone().strftime("%Y-%m-%dT15:00")
    assignment_id = assignments.create_assignment(
        db, class_id, "America/Chicago", motion, fmt="two-sides", due_at=due_local,
        instructions="Write your argument for the side on your card. Use at least two pieces of evidence from the lesson.",
    )
    assignment = dict(db.execute("SELECT * FROM assignments WHERE id = ?", [assignment_id]).fetchone())
    absent = [created[-1].id]
    assignments.draw_positions(db, assignment, motion.position_keys("two-sides"), seed=2026, absent_ids=absent)
    assignment = dict(db.execute("SELECT * FROM assignments WHERE id = ?", [assignment_id]).fetchone())
    placed = db.execute("SELECT student_id, position FROM positions WHERE assignment_id = ? AND position IS NOT NULL ORDER BY student_id", [assignment_id]).fetchall()
    submitted_ids = []
    for index, row in enumerate(placed):
        text = _ARGUMENTS[row["position"]]
        if index % 3 == 0:
            submissions.save_draft(db, assignment_id, row["student_id"], {**text, "rebuttal": ""}, 0)
        elif index % 3 == 1:
            submissions.submit(db, assignment, row["student_id"], text, 0, now=now)
            submitted_ids.append(row["student_id"])
    for student_id in submitted_ids[:4]:
        sub = submissions.get_submission(db, assignment_id, student_id)
        submissions.save_feedback(
            db, sub["id"], [("claim", 4), ("evidence", 4), ("reasoning", 4), ("rebuttal", 4)],
            {"claim": "4", "evidence": "3", "reasoning": "3", "rebuttal": "2"},
            "Clear claim and good use of the Charter. Next time, answer the other side's *strongest* point.", True,
        )
    return {"teacher": DEMO_TEACHER, "class_id": class_id, "assignment_id": assignment_id, "students": len(created)}

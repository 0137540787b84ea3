"""Seed a benchmark instance's SQLite database directly through the services.

Used by bench/run.py before it starts the server (a separate process) on the
same instance folder. Everything is made with the same service functions the
web pages call, so the rows look exactly like real ones:

- ``period``: the school period of scenario 3, ``period_students`` students
  in classes of about 34, one open assignment each (positions drawn, about
  half the students already have a draft), and two past assignments per class
  with every argument submitted and graded, so the tables hold a realistic
  term of history (indexes matter only when tables are not tiny);
- ``rush``: one class of 35 students with drafts and an open assignment, for
  the deadline rush (scenario 2). These students keep the production password
  hash (scrypt), so the run can also report what a class signing in at once
  costs;
- ``review``: one class of 35 students who have all submitted an argument of
  realistic length (claim, three evidence items, reasoning, rebuttal, with a
  little Markdown), a third of them with feedback, half of that released
  (scenario 4).

Only the bulk accounts use a cheap password hash (pbkdf2, 1,000 rounds):
signing 500 students in with scrypt would take the benchmark longer than the
period it measures, and sign-in is not a timed scenario. The hash method is
stored in each hash, so the server verifies both kinds as usual.
"""

from __future__ import annotations

import sys, pathlib; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # noqa: E401,E702

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from debatekit import db as database
from debatekit.lessons import LessonLibrary
from debatekit.services import accounts, assignments, classes, submissions
from debatekit.services.assignments import MotionChoice

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHEAP_HASH = "pbkdf2:sha256:1000"
TZ = "America/Chicago"
CLASS_SIZE = 34
RUBRIC = [("claim", 4), ("evidence", 4), ("reasoning", 4), ("rebuttal", 4)]

_WORDS = (
    "sovereignty consent treaty senate cartel border cooperation security training evidence "
    "government agreement mexico united states charter article force trafficking fentanyl "
    "firearms intelligence surveillance aid conditions partners history respect equality law "
    "international court non-intervention self-defence invitation oversight accountability rights "
    "communities violence strategy shared responsibility bilateral military police citizens"
).split()


def sentence(rnd: random.Random, words: int) -> str:
    chosen = [rnd.choice(_WORDS) for _ in range(words)]
    if words > 6 and rnd.random() < 0.3:
        chosen[3] = f"**{chosen[3]}**"  # a little Markdown, as students write it
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


def paragraph(rnd: random.Random, words: int) -> str:
    out, left = [], words
    while left > 0:
        n = min(left, rnd.randint(10, 22))
        out.append(sentence(rnd, n))
        left -= n
    return " ".join(out)


def argument(rnd: random.Random, source_ids: list[str], *, size: str = "full") -> dict:
    """A student's argument. 'full' is a finished one (about 350 words)."""
    if size == "draft":
        return {"claim": sentence(rnd, 16), "evidence": [{"text": sentence(rnd, 18), "source": rnd.choice(source_ids)}],
                "reasoning": paragraph(rnd, 40), "rebuttal": ""}
    return {
        "claim": sentence(rnd, 20),
        "evidence": [{"text": sentence(rnd, rnd.randint(18, 30)), "source": rnd.choice(source_ids)} for _ in range(3)],
        "reasoning": paragraph(rnd, rnd.randint(120, 170)) + "\n\n" + paragraph(rnd, rnd.randint(30, 60)),
        "rebuttal": paragraph(rnd, rnd.randint(60, 90)),
    }


@dataclass
class Account:
    id: int
    username: str
    password: str


@dataclass
class Seeded:
    teachers: list[Account] = field(default_factory=list)
    period_students: list[tuple[Account, int]] = field(default_factory=list)  # (student, open assignment id)
    period_lessons: dict[int, str] = field(default_factory=dict)  # open assignment id -> lesson slug
    rush_teacher: Account | None = None
    rush_students: list[Account] = field(default_factory=list)
    rush_assignment: int = 0
    review_teacher: Account | None = None
    review_assignment: int = 0
    review_class_size: int = 0
    review_class: int = 0
    small_class: int = 0
    small_assignment: int = 0
    small_student: Account | None = None
    lesson_slugs: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def _motion(lesson) -> MotionChoice:
    motion = lesson.motions[0]
    return MotionChoice(lesson.slug, motion.id, tuple(motion.sides.keys()), tuple(r.key for r in motion.roles))


def _teacher(db, n: int) -> Account:
    password = f"bench-teacher-{n}-pw"
    user = accounts.create_user(db, username=f"bench-teacher{n}", display_name=f"Teacher {n}", password=password, role="teacher")
    return Account(user.id, user.username, password)


def _class(db, teacher: Account, name: str, size: int, start: int) -> tuple[int, list[Account]]:
    class_id = classes.create_class(db, teacher.id, name, TZ)
    names = "\n".join(f"Student{start + i:05d} Bench" for i in range(size))
    created = classes.add_students(db, class_id, names)
    return class_id, [Account(s.id, s.username, s.temporary_password) for s in created]


def _assignment(db, class_id: int, lesson, *, due: datetime, fmt: str = "two-sides", seed: int = 1) -> dict:
    motion = _motion(lesson)
    aid = assignments.create_assignment(db, class_id, TZ, motion, fmt=fmt, due_at=due.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M"))
    row = dict(db.execute("SELECT * FROM assignments WHERE id = ?", [aid]).fetchone())
    assignments.draw_positions(db, row, motion.position_keys(fmt), seed=seed)
    return dict(db.execute("SELECT * FROM assignments WHERE id = ?", [aid]).fetchone())


def _submit_all(db, rnd, assignment: dict, students: list[Account], source_ids, *, feedback_every: int, when: datetime) -> int:
    done = 0
    for i, s in enumerate(students):
        submissions.save_draft(db, assignment["id"], s.id, argument(rnd, source_ids, size="draft"), 0)
        result = submissions.submit(db, assignment, s.id, argument(rnd, source_ids), 1, now=when)
        done += 1
        if feedback_every and i % feedback_every == 0:
            scores = {k: str(rnd.randint(2, 4)) for k, _ in RUBRIC}
            submissions.save_feedback(db, result.submission_id, RUBRIC, scores, paragraph(rnd, 30), release=(i % (2 * feedback_every) == 0))
    return done


def seed(db_path: str, *, period_students: int = 500, past_assignments: int = 2, rush_students: int = 35,
         review_students: int = 35, rnd_seed: int = 2026) -> Seeded:
    rnd = random.Random(rnd_seed)
    db = database.connect(db_path)
    database.migrate(db)
    library = LessonLibrary(ROOT / "lessons")
    lessons = library.available()
    out = Seeded(lesson_slugs=[lesson.slug for lesson in lessons])
    now = datetime.now(timezone.utc)
    previous = accounts.PASSWORD_HASH_METHOD
    accounts.PASSWORD_HASH_METHOD = CHEAP_HASH
    try:
        # --- the school period: classes of about 34 with a term of history
        n_classes = max(1, round(period_students / CLASS_SIZE))
        sizes = [period_students // n_classes + (1 if i < period_students % n_classes else 0) for i in range(n_classes)]
        start = 0
        versions = 0
        for c, size in enumerate(sizes):
            if c % 5 == 0:
                teacher = _teacher(db, len(out.teachers) + 1)
                out.teachers.append(teacher)
            class_id, students = _class(db, teacher, f"Period {c % 7 + 1} Civics ({c + 1})", size, start)
            start += size
            for p in range(past_assignments):
                lesson = lessons[(c + p) % len(lessons)]
                past = _assignment(db, class_id, lesson, due=now - timedelta(days=14 * (past_assignments - p)), seed=c * 10 + p)
                versions += _submit_all(db, rnd, past, students, [s.id for s in lesson.sources], feedback_every=1,
                                        when=now - timedelta(days=14 * (past_assignments - p) + 1))
            lesson = lessons[(c + past_assignments) % len(lessons)]
            current = _assignment(db, class_id, lesson, due=now + timedelta(days=3), seed=c)
            out.period_lessons[current["id"]] = lesson.slug
            for i, s in enumerate(students):
                if i % 2 == 0:
                    submissions.save_draft(db, current["id"], s.id, argument(rnd, [x.id for x in lesson.sources], size="draft"), 0)
                out.period_students.append((s, current["id"]))
        out.counts["period classes"] = n_classes
        out.counts["past submissions"] = versions

        # --- the review board: 35 submitted arguments, a third with feedback
        out.review_teacher = _teacher(db, len(out.teachers) + 1)
        lesson = library.get("what-is-sovereignty") or lessons[0]
        class_id, students = _class(db, out.review_teacher, "Period 4 Civics (review)", review_students, 90_000)
        review = _assignment(db, class_id, lesson, due=now - timedelta(hours=2), seed=4)
        _submit_all(db, rnd, review, students, [s.id for s in lesson.sources], feedback_every=3, when=now - timedelta(hours=3))
        out.review_assignment = review["id"]
        out.review_class_size = len(students)
        out.review_class = class_id
        # A class of three under the same teacher: the query-count check
        # compares each list page for 35 students with the same page for 3.
        small_class, small = _class(db, out.review_teacher, "Period 5 Civics (small)", 3, 95_000)
        small_assignment = _assignment(db, small_class, lesson, due=now - timedelta(hours=2), seed=5)
        _submit_all(db, rnd, small_assignment, small, [s.id for s in lesson.sources], feedback_every=3, when=now - timedelta(hours=3))
        out.small_class, out.small_assignment, out.small_student = small_class, small_assignment["id"], small[0]
    finally:
        accounts.PASSWORD_HASH_METHOD = previous

    # --- the deadline rush: production password hashes (scrypt)
    out.rush_teacher = _teacher(db, len(out.teachers) + 2)
    lesson = library.get("the-senate-decides") or lessons[0]
    class_id, students = _class(db, out.rush_teacher, "Period 6 Civics (rush)", rush_students, 80_000)
    rush = _assignment(db, class_id, lesson, due=now + timedelta(hours=1), seed=6)
    for s in students:
        submissions.save_draft(db, rush["id"], s.id, argument(rnd, [x.id for x in lesson.sources], size="draft"), 0)
    out.rush_students = students
    out.rush_assignment = rush["id"]

    for table in ("users", "classes", "enrollments", "assignments", "positions", "submissions", "submission_versions", "feedback"):
        out.counts[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return out

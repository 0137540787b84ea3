"""Classes, join codes and rosters."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

from ..db import utcnow, write_transaction
from . import ServiceError, single_line
from . import accounts

# No 0/O, 1/I/L, 5/S or 2/Z: codes are read off a projector and typed by hand.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
JOIN_CODE_LENGTH = 6
MAX_CLASS_NAME = 80
MAX_STUDENTS_PER_BATCH = 200
UNKNOWN_CODE = "That join code does not match an open class. Check it with your teacher; codes look like ABC-234."


@dataclass(frozen=True)
class NewStudent:
    id: int
    display_name: str
    username: str
    temporary_password: str


def clean_class_name(name: str) -> str:
    name = single_line(name)
    if not name:
        raise ServiceError("Please give the class a name, for example “Period 3 Civics”.", field="name")
    if len(name) > MAX_CLASS_NAME:
        raise ServiceError(f"Class names can be at most {MAX_CLASS_NAME} characters.", field="name")
    return name


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # available_timezones() rescans the zone database on every call (~70 ms).
    return frozenset(available_timezones())


def check_timezone(tz: str) -> str:
    tz = (tz or "").strip()
    if tz not in _known_zones():
        raise ServiceError("Please choose a time zone from the list.", field="timezone")
    ZoneInfo(tz)
    return tz


def normalise_join_code(code: str) -> str:
    """Students type codes with spaces, dashes and lower case: accept all of it."""
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def format_join_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}" if len(code) == 6 else code


def _new_join_code(db) -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not db.execute("SELECT 1 FROM classes WHERE join_code = ?", [code]).fetchone():
            return code


def create_class(db, teacher_id: int, name: str, timezone: str, paper_size: str = "letter") -> int:
    name = clean_class_name(name)
    timezone = check_timezone(timezone)
    if paper_size not in ("letter", "a4"):
        raise ServiceError("Paper size is Letter or A4.", field="paper_size")
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO classes (teacher_id, name, join_code, timezone, paper_size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [teacher_id, name, _new_join_code(db), timezone, paper_size, utcnow()],
        )
        return cursor.lastrowid


def update_class(db, class_id: int, *, name: str, timezone: str, paper_size: str) -> None:
    name = clean_class_name(name)
    timezone = check_timezone(timezone)
    if paper_size not in ("letter", "a4"):
        raise ServiceError("Paper size is Letter or A4.", field="paper_size")
    with write_transaction(db):
        db.execute(
            "UPDATE classes SET name = ?, timezone = ?, paper_size = ? WHERE id = ?",
            [name, timezone, paper_size, class_id],
        )


def set_archived(db, class_id: int, archived: bool) -> None:
    with write_transaction(db):
        db.execute("UPDATE classes SET archived = ? WHERE id = ?", [1 if archived else 0, class_id])


def new_join_code(db, class_id: int) -> str:
    with write_transaction(db):
        code = _new_join_code(db)
        db.execute("UPDATE classes SET join_code = ? WHERE id = ?", [code, class_id])
    return code


def classes_of_teacher(db, teacher_id: int) -> list[dict]:
    rows = db.execute(
        """
        SELECT c.*, (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id) AS student_count,
               (SELECT COUNT(*) FROM assignments a WHERE a.class_id = c.id) AS assignment_count
        FROM classes c WHERE c.teacher_id = ? ORDER BY c.archived, c.name COLLATE NOCASE
        """,
        [teacher_id],
    ).fetchall()
    return [dict(r) for r in rows]


def classes_of_student(db, student_id: int) -> list[dict]:
    rows = db.execute(
        """
        SELECT c.id, c.name, c.timezone, u.display_name AS teacher_name
        FROM enrollments e JOIN classes c ON c.id = e.class_id JOIN users u ON u.id = c.teacher_id
        WHERE e.student_id = ? AND c.archived = 0 ORDER BY c.name COLLATE NOCASE
        """,
        [student_id],
    ).fetchall()
    return [dict(r) for r in rows]


def roster(db, class_id: int) -> list[dict]:
    rows = db.execute(
        """
        SELECT u.id, u.username, u.display_name, e.joined_at
        FROM enrollments e JOIN users u ON u.id = e.student_id
        WHERE e.class_id = ? ORDER BY u.display_name COLLATE NOCASE, u.username
        """,
        [class_id],
    ).fetchall()
    return [dict(r) for r in rows]


def is_enrolled(db, class_id: int, student_id: int) -> bool:
    return db.execute(
        "SELECT 1 FROM enrollments WHERE class_id = ? AND student_id = ?", [class_id, student_id]
    ).fetchone() is not None


def _enroll(db, class_id: int, student_id: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO enrollments (class_id, student_id, joined_at) VALUES (?, ?, ?)",
        [class_id, student_id, utcnow()],
    )


def parse_names(text: str) -> list[str]:
    """One name a line; blank lines and surrounding spaces ignored, so a list
    pasted from a spreadsheet column works as is. Tabs and commas separating
    'Last, First' are turned into 'First Last'."""
    names = []
    for line in (text or "").splitlines():
        line = " ".join(line.replace("\t", " ").split())
        if not line:
            continue
        if line.count(",") == 1:
            last, first = (part.strip() for part in line.split(","))
            line = f"{first} {last}".strip()
        names.append(line)
    return names


def add_students(db, class_id: int, names_text: str, batch_id: str | None = None) -> list[NewStudent] | None:
    """Create student accounts for pasted names and enroll them.

    Returns the new students with their temporary passwords (shown once), or
    None when this batch was already added (the teacher re-sent the form).
    """
    names = parse_names(names_text)
    if not names:
        raise ServiceError("Paste at least one name, one name a line.", field="names")
    if len(names) > MAX_STUDENTS_PER_BATCH:
        raise ServiceError(f"Add at most {MAX_STUDENTS_PER_BATCH} students at a time.", field="names")
    cleaned = []
    for line_no, name in enumerate(names, start=1):
        try:
            cleaned.append(accounts.clean_display_name(name))
        except ServiceError as error:
            raise ServiceError(f"Line {line_no}: {error.message}", field="names") from None
    # Hash outside the transaction: hashing is the slow part and must not hold the write lock.
    prepared = [(name, accounts.temporary_password()) for name in cleaned]
    hashed = [(name, password, accounts.hash_password(password)) for name, password in prepared]
    created: list[NewStudent] = []
    with write_transaction(db):
        if batch_id:
            if db.execute("SELECT 1 FROM student_batches WHERE batch_id = ?", [batch_id]).fetchone():
                return None
            db.execute(
                "INSERT INTO student_batches (batch_id, class_id, created_at) VALUES (?, ?, ?)",
                [batch_id, class_id, utcnow()],
            )
        for name, password, password_hash in hashed:
            username = accounts.unique_username(db, accounts.username_base(name))
            user = accounts.insert_user(
                db, username=username, display_name=name, role="student", password_hash=password_hash
            )
            _enroll(db, class_id, user.id)
            created.append(NewStudent(user.id, name, username, password))
    return created


def teachers_of(db, student_id: int) -> set[int]:
    """Every teacher whose class the student is in. One account serves all of a student's classes."""
    return {r[0] for r in db.execute(
        "SELECT DISTINCT c.teacher_id FROM enrollments e JOIN classes c ON c.id = e.class_id WHERE e.student_id = ?", [student_id]
    )}


def reset_student_password(db, class_id: int, student_id: int, teacher_id: int) -> NewStudent:
    """A new temporary password, set by the class's teacher.

    Refused when the student is also in another teacher's class: whoever
    knows the new password could read that class's work as the student, so
    such a reset belongs to whoever runs the kit (`flask reset-password`).
    """
    if not is_enrolled(db, class_id, student_id):
        raise ServiceError("No such student in this class.", status=404)
    if teachers_of(db, student_id) - {teacher_id}:
        user = accounts.get_user(db, student_id)
        raise ServiceError(
            f"{user.display_name} is also in another teacher's class, so to protect their work there the password "
            f"can only be reset by whoever runs the kit (command: flask --app app reset-password {user.username}).",
            status=403,
        )
    return set_temporary_password(db, student_id)


def set_temporary_password(db, student_id: int) -> NewStudent:
    user = accounts.get_user(db, student_id)
    password = accounts.temporary_password()
    accounts.set_password(db, student_id, password)
    return NewStudent(user.id, user.display_name, user.username, password)


def remove_student(db, class_id: int, student_id: int) -> None:
    """Take a student off the roster. Their account and work stay (they may be
    in other classes); deleting a student entirely is delete_student."""
    with write_transaction(db):
        db.execute("DELETE FROM enrollments WHERE class_id = ? AND student_id = ?", [class_id, student_id])


def find_class_by_code(db, code: str) -> dict | None:
    code = normalise_join_code(code)
    if not code:
        return None
    row = db.execute("SELECT * FROM classes WHERE join_code = ? AND archived = 0", [code]).fetchone()
    return dict(row) if row else None


JOIN_THROTTLED = (
    "Too many wrong join codes from this network. Wait {minutes} minutes and try again, "
    "or ask your teacher to add you to the class."
)


def check_join_throttle(db, address: str, *, window_minutes: int, per_address: int) -> None:
    """Refuse joining from an address that sent too many wrong codes recently:
    a class's code is the key to its roster, so it must not be guessable at speed."""
    since = (datetime.now(timezone.utc) - timedelta(minutes=window_minutes)).replace(microsecond=0).isoformat()
    count = db.execute("SELECT COUNT(*) FROM login_failures WHERE key = ? AND failed_at >= ?", [f"join:{address}", since]).fetchone()[0]
    if count >= per_address:
        raise ServiceError(JOIN_THROTTLED.format(minutes=window_minutes), status=429)


def record_wrong_join_code(db, address: str, *, window_minutes: int) -> None:
    since = (datetime.now(timezone.utc) - timedelta(minutes=window_minutes)).replace(microsecond=0).isoformat()
    with write_transaction(db):
        db.execute("INSERT INTO login_failures (key, failed_at) VALUES (?, ?)", [f"join:{address}", utcnow()])
        db.execute("DELETE FROM login_failures WHERE failed_at < ?", [since])


def join_class(db, code: str, student_id: int) -> dict:
    found = find_class_by_code(db, code)
    if found is None:
        raise ServiceError(UNKNOWN_CODE, field="join_code")
    with write_transaction(db):
        _enroll(db, found["id"], student_id)
    return found


def join_as_new_student(db, code: str, *, display_name: str, username: str, password: str) -> tuple[accounts.User, dict]:
    """Create a student account and enroll it, all or nothing."""
    found = find_class_by_code(db, code)
    if found is None:
        raise ServiceError(UNKNOWN_CODE, field="join_code")
    username = accounts.clean_username(username)
    display_name = accounts.clean_display_name(display_name)
    accounts.check_new_password(password)
    password_hash = accounts.hash_password(password)  # slow: outside the write lock
    # Account and enrollment are created together or not at all.
    with write_transaction(db):
        user = accounts.insert_user(
            db, username=username, display_name=display_name, role="student", password_hash=password_hash
        )
        _enroll(db, found["id"], user.id)
    return user, found

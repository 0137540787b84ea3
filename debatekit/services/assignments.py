"""Assignments: a lesson motion given to a class, with positions and due dates.

Position rules live in positions.py (pure); this module feeds it the class's
roster, absences, locks and side history from the database, and stores the
result.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

from .. import positions as pos
from ..db import utcnow, write_transaction
from ..timezones import local_input_to_utc, parse_utc
from . import ServiceError
from .submissions import review_rows

FORMAT_LABELS = {
    "two-sides": "Two sides (whole class)",
    "small-groups": "Small groups (several debates at once)",
    "roles": "Stakeholder roles (role-play or hearing)",
    "sac": "Structured Academic Controversy (quads)",
}
MAX_INSTRUCTIONS = 5000
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class MotionChoice:
    """What a service needs to know about a lesson motion (plain values, no lesson object)."""

    lesson_slug: str
    motion_id: str
    side_keys: tuple[str, ...]
    role_keys: tuple[str, ...]

    def position_keys(self, fmt: str) -> tuple[str, ...]:
        return self.role_keys if fmt == "roles" else ("pro", "con")


def _clean_seed(value) -> int:
    if value in (None, ""):
        return secrets.randbelow(MAX_SEED)
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ServiceError("The seed is a whole number (leave it empty for a new random draw).", field="seed") from None
    if not 0 <= seed <= MAX_SEED:
        raise ServiceError(f"The seed is a whole number from 0 to {MAX_SEED}.", field="seed")
    return seed


def _clean_group_size(fmt: str, value) -> int | None:
    if fmt != "small-groups":
        return None
    try:
        size = int(str(value or "4").strip())
    except ValueError:
        raise ServiceError("Group size is a whole number, for example 4.", field="group_size") from None
    if not 2 <= size <= 12:
        raise ServiceError("Group size is between 2 and 12.", field="group_size")
    return size


def _clean_dates(timezone: str, due_at: str, cutoff_at: str) -> tuple[str | None, str | None]:
    """Local date-time inputs in the class's zone -> UTC strings, with the cut-off not before the due date."""
    try:
        due_utc = local_input_to_utc(due_at, timezone)
    except ValueError:
        raise ServiceError("The due date is not a date and time we understand.", field="due_at") from None
    try:
        cutoff_utc = local_input_to_utc(cutoff_at, timezone)
    except ValueError:
        raise ServiceError("The cut-off is not a date and time we understand.", field="cutoff_at") from None
    if due_utc and cutoff_utc and parse_utc(cutoff_utc) < parse_utc(due_utc):
        raise ServiceError("The cut-off must be at or after the due date.", field="cutoff_at")
    return due_utc, cutoff_utc


def _clean_instructions(instructions: str) -> str:
    instructions = (instructions or "").replace("\x00", "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        raise ServiceError(f"Instructions can be at most {MAX_INSTRUCTIONS} characters.", field="instructions")
    return instructions


def create_assignment(
    db,
    class_id: int,
    timezone: str,
    motion: MotionChoice,
    *,
    fmt: str,
    group_size=None,
    due_at: str = "",
    cutoff_at: str = "",
    instructions: str = "",
    allow_resubmit: bool = False,
) -> int:
    if fmt not in pos.FORMATS:
        raise ServiceError("Choose one of the debate formats.", field="format")
    if fmt == "roles" and len(motion.role_keys) < 2:
        raise ServiceError("This motion has no stakeholder roles; choose another format.", field="format")
    size = _clean_group_size(fmt, group_size)
    due_utc, cutoff_utc = _clean_dates(timezone, due_at, cutoff_at)
    instructions = _clean_instructions(instructions)
    with write_transaction(db):
        cursor = db.execute(
            """INSERT INTO assignments (class_id, lesson_slug, motion_id, format, group_size, instructions,
                   due_at, cutoff_at, allow_resubmit, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [class_id, motion.lesson_slug, motion.motion_id, fmt, size, instructions, due_utc, cutoff_utc,
             1 if allow_resubmit else 0, utcnow()],
        )
        return cursor.lastrowid


def update_dates(db, assignment_id: int, timezone: str, *, due_at: str, cutoff_at: str, allow_resubmit: bool, instructions: str) -> None:
    due_utc, cutoff_utc = _clean_dates(timezone, due_at, cutoff_at)
    instructions = _clean_instructions(instructions)
    with write_transaction(db):
        db.execute(
            "UPDATE assignments SET due_at = ?, cutoff_at = ?, allow_resubmit = ?, instructions = ? WHERE id = ?",
            [due_utc, cutoff_utc, 1 if allow_resubmit else 0, instructions, assignment_id],
        )


def assignments_of_class(db, class_id: int) -> list[dict]:
    rows = db.execute(
        "SELECT * FROM assignments WHERE class_id = ? ORDER BY COALESCE(due_at, created_at) DESC, id DESC",
        [class_id],
    ).fetchall()
    return [dict(r) for r in rows]


def assignments_of_student(db, student_id: int) -> list[dict]:
    """Assignments of every open class the student is enrolled in, soonest due first."""
    rows = db.execute(
        """
        SELECT a.*, c.name AS class_name, c.timezone, p.position, s.status
        FROM assignments a
        JOIN enrollments e ON e.class_id = a.class_id AND e.student_id = ?
        JOIN classes c ON c.id = a.class_id AND c.archived = 0
        LEFT JOIN positions p ON p.assignment_id = a.id AND p.student_id = e.student_id
        LEFT JOIN submissions s ON s.assignment_id = a.id AND s.student_id = e.student_id
        ORDER BY a.due_at IS NULL, a.due_at, a.id
        """,
        [student_id],
    ).fetchall()
    return [dict(r) for r in rows]


# --- positions ----------------------------------------------------------------


def _roster_ids(db, class_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT student_id FROM enrollments WHERE class_id = ? ORDER BY student_id", [class_id])]


def position_rows(db, assignment_id: int) -> dict[int, dict]:
    rows = db.execute("SELECT * FROM positions WHERE assignment_id = ?", [assignment_id]).fetchall()
    return {r["student_id"]: dict(r) for r in rows}


def side_histories(db, class_id: int, exclude_assignment: int, lesson_slug: str, motion_id: str):
    """Per student: positions held in the class's other assignments (the term's
    history), and those held on this same motion. One query for the class."""
    rows = db.execute(
        """
        SELECT p.student_id, p.position, a.lesson_slug, a.motion_id
        FROM positions p JOIN assignments a ON a.id = p.assignment_id
        WHERE a.class_id = ? AND a.id != ? AND p.position IS NOT NULL
        """,
        [class_id, exclude_assignment],
    ).fetchall()
    history: dict[int, Counter] = defaultdict(Counter)
    on_motion: dict[int, set] = defaultdict(set)
    for r in rows:
        history[r["student_id"]][r["position"]] += 1
        if r["lesson_slug"] == lesson_slug and r["motion_id"] == motion_id:
            on_motion[r["student_id"]].add(r["position"])
    return history, on_motion


def _students_for(ids, history, on_motion) -> list[pos.Student]:
    return [pos.Student(id=i, history=dict(history.get(i, {})), on_motion=frozenset(on_motion.get(i, ()))) for i in ids]


def draw_positions(db, assignment: dict, position_keys, *, seed=None, absent_ids=()) -> int:
    """(Re)draw every unlocked student's position. Locked students keep theirs;
    absent students get none. Returns the seed used."""
    seed = _clean_seed(seed)
    roster = _roster_ids(db, assignment["class_id"])
    roster_set = set(roster)
    # Only plain ASCII digits of a sane length are ids ("²".isdigit() is True; int() refuses 5000 digits).
    absent = {int(a) for a in map(str, absent_ids) if a.isascii() and a.isdigit() and len(a) < 19 and int(a) in roster_set}
    with write_transaction(db):
        current = position_rows(db, assignment["id"])
        locked = [
            pos.Placement(sid, row["position"], row["group_no"] or 1, row["speaking_order"] or 1)
            for sid, row in current.items()
            if row["locked"] and row["position"] and sid in roster_set and sid not in absent
        ]
        locked_ids = {p.student_id for p in locked}
        present = [sid for sid in roster if sid not in absent and sid not in locked_ids]
        history, on_motion = side_histories(db, assignment["class_id"], assignment["id"], assignment["lesson_slug"], assignment["motion_id"])
        try:
            placements = pos.draw(
                assignment["format"],
                _students_for(present, history, on_motion),
                positions=list(position_keys),
                seed=seed,
                group_size=assignment["group_size"],
                locked=locked,
            )
        except pos.DrawError as error:
            raise ServiceError(str(error)) from None
        db.execute("DELETE FROM positions WHERE assignment_id = ?", [assignment["id"]])
        rows = [
            (assignment["id"], p.student_id, p.position, p.group, p.speaking_order, 1 if p.student_id in locked_ids else 0, 0)
            for p in placements
        ]
        rows += [(assignment["id"], sid, None, None, None, 0, 1) for sid in sorted(absent)]
        db.conn.executemany(
            "INSERT INTO positions (assignment_id, student_id, position, group_no, speaking_order, locked, absent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("UPDATE assignments SET seed = ?, drawn_at = ? WHERE id = ?", [seed, utcnow(), assignment["id"]])
    return seed


def place_late_arrivals(db, assignment: dict, position_keys) -> int:
    """Put every present, unplaced student on the smallest teams without moving anyone else."""
    roster = _roster_ids(db, assignment["class_id"])
    with write_transaction(db):
        current = position_rows(db, assignment["id"])
        placed = [
            pos.Placement(sid, row["position"], row["group_no"] or 1, row["speaking_order"] or 1)
            for sid, row in current.items()
            if row["position"] and sid in set(roster)
        ]
        newcomers = [sid for sid in roster if sid not in current or (current[sid]["position"] is None and not current[sid]["absent"])]
        if not newcomers:
            return 0
        if not placed:
            raise ServiceError("Draw positions first; late arrivals join the teams of a draw.")
        history, on_motion = side_histories(db, assignment["class_id"], assignment["id"], assignment["lesson_slug"], assignment["motion_id"])
        seed = (assignment["seed"] or 0) + len(placed)
        try:
            new = pos.place_late(
                assignment["format"],
                placed,
                _students_for(newcomers, history, on_motion),
                positions=list(position_keys),
                seed=seed,
                group_size=assignment["group_size"],
            )
        except pos.DrawError as error:
            raise ServiceError(str(error)) from None
        for p in new:
            db.execute(
                """INSERT INTO positions (assignment_id, student_id, position, group_no, speaking_order, locked, absent)
                   VALUES (?, ?, ?, ?, ?, 0, 0)
                   ON CONFLICT (assignment_id, student_id) DO UPDATE SET
                     position = excluded.position, group_no = excluded.group_no,
                     speaking_order = excluded.speaking_order, absent = 0""",
                [assignment["id"], p.student_id, p.position, p.group, p.speaking_order],
            )
    return len(new)


def set_position(db, assignment: dict, student_id: int, position_keys, *, position: str, group=None, locked: bool) -> None:
    """The teacher's override for one student: a position (or 'absent' or ''), an optional group, a lock."""
    if student_id not in set(_roster_ids(db, assignment["class_id"])):
        raise ServiceError("No such student in this class.", status=404)
    position = (position or "").strip()
    absent = position == "absent"
    if position in ("", "absent"):
        position_value = None
    elif position in position_keys:
        position_value = position
    else:
        raise ServiceError("Choose one of the positions of this motion.", field="position")
    with write_transaction(db):
        current = position_rows(db, assignment["id"])
        row = current.get(student_id)
        groups_in_use = sorted({r["group_no"] for r in current.values() if r["group_no"]}) or [1]
        if group in (None, ""):
            group_no = (row or {}).get("group_no") or groups_in_use[0]
        else:
            try:
                group_no = int(group)
            except ValueError:
                raise ServiceError("The group is a number.", field="group") from None
            if not 1 <= group_no <= max(groups_in_use) + 1:
                raise ServiceError(f"The group is a number from 1 to {max(groups_in_use) + 1}.", field="group")
        if position_value is None:
            group_no = None
            order = None
        elif row and row["position"] == position_value and row["group_no"] == group_no:
            order = row["speaking_order"]
        else:
            team = [r["speaking_order"] or 0 for sid, r in current.items() if sid != student_id and r["position"] == position_value and r["group_no"] == group_no]
            order = max(team, default=0) + 1
        db.execute(
            """INSERT INTO positions (assignment_id, student_id, position, group_no, speaking_order, locked, absent)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (assignment_id, student_id) DO UPDATE SET position = excluded.position,
                 group_no = excluded.group_no, speaking_order = excluded.speaking_order,
                 locked = excluded.locked, absent = excluded.absent""",
            [assignment["id"], student_id, position_value, group_no, order, 1 if (locked and position_value) else 0, 1 if absent else 0],
        )


# --- read models for pages -------------------------------------------------------


def overview(db, assignment: dict) -> dict:
    """Everything the teacher's assignment page shows, in a fixed number of queries."""
    students = db.execute(
        """
        SELECT u.id, u.username, u.display_name, p.position, p.group_no, p.speaking_order, p.locked, p.absent,
               s.status, s.submitted_at, s.late
        FROM enrollments e JOIN users u ON u.id = e.student_id
        LEFT JOIN positions p ON p.assignment_id = ? AND p.student_id = u.id
        LEFT JOIN submissions s ON s.assignment_id = ? AND s.student_id = u.id
        WHERE e.class_id = ?
        ORDER BY u.display_name COLLATE NOCASE, u.username
        """,
        [assignment["id"], assignment["id"], assignment["class_id"]],
    ).fetchall()
    students = [dict(r) for r in students]
    history, _ = side_histories(db, assignment["class_id"], assignment["id"], assignment["lesson_slug"], assignment["motion_id"])
    for s in students:
        s["history"] = dict(history.get(s["id"], {}))
    groups: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for s in students:
        if s["position"]:
            groups[s["group_no"] or 1][s["position"]].append(s)
    for teams in groups.values():
        for team in teams.values():
            team.sort(key=lambda s: (s["speaking_order"] or 0, s["display_name"]))
    unplaced = [s for s in students if not s["position"] and not s["absent"]]
    absent = [s for s in students if s["absent"]]
    counts = Counter(s["position"] for s in students if s["position"])
    return {
        "students": students,
        "groups": {g: dict(t) for g, t in sorted(groups.items())},
        "unplaced": unplaced,
        "absent": absent,
        "counts": dict(counts),
    }


def student_view(db, assignment: dict, student_id: int) -> dict:
    """The student's own position, group and teammates (names only), nothing of other groups."""
    mine = db.execute(
        "SELECT * FROM positions WHERE assignment_id = ? AND student_id = ?", [assignment["id"], student_id]
    ).fetchone()
    result = {"position": None, "group": None, "speaking_order": None, "absent": False, "teammates": [], "opponents": []}
    if mine is None:
        return result
    result.update(position=mine["position"], group=mine["group_no"], speaking_order=mine["speaking_order"], absent=bool(mine["absent"]))
    if not mine["position"]:
        return result
    rows = db.execute(
        """SELECT u.display_name, p.position, p.speaking_order FROM positions p JOIN users u ON u.id = p.student_id
           WHERE p.assignment_id = ? AND p.group_no IS ? AND p.student_id != ? AND p.position IS NOT NULL
           ORDER BY p.speaking_order, u.display_name""",
        [assignment["id"], mine["group_no"], student_id],
    ).fetchall()
    single_group = assignment["format"] in ("two-sides", "roles")
    for r in rows:
        if r["position"] == mine["position"]:
            result["teammates"].append({"display_name": r["display_name"], "speaking_order": r["speaking_order"]})
        elif not single_group:
            # In a small group or SAC quad students need to know who they face;
            # in a whole-class debate the other side is simply "everyone else".
            result["opponents"].append({"display_name": r["display_name"], "position": r["position"]})
    return result


def export(db, assignment: dict, *, rubric_keys=()) -> dict:
    """The JSON export of DESIGN.md §7: assignment, then one entry per student."""
    rows = review_rows(db, assignment)  # the review board's one query serves the export too
    students = []
    for r in rows:
        scores = r["scores"]
        scores = {k: scores[k] for k in rubric_keys if k in scores} if rubric_keys else scores
        students.append(
            {
                "id": r["student_id"],
                "username": r["username"],
                "display_name": r["display_name"],
                "position": r["position"],
                "absent": bool(r["absent"]),
                "group": r["group_no"],
                "speaking_order": r["speaking_order"],
                "status": r["status"] or "missing",
                "submitted_at": r["submitted_at"],
                "late": bool(r["late"]),
                "scores": scores,
                "total": sum(v for v in scores.values() if isinstance(v, int)) if scores else None,
            }
        )
    keys = ("id", "class_id", "lesson_slug", "motion_id", "format", "group_size", "instructions", "due_at", "cutoff_at", "allow_resubmit", "seed", "drawn_at", "created_at")
    info = {k: assignment.get(k) for k in keys}
    info["allow_resubmit"] = bool(info["allow_resubmit"])
    return {"assignment": info, "students": students}

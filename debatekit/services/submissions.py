"""Student arguments: drafts with versions, submission exactly once, feedback.

Every write starts with BEGIN IMMEDIATE and compares versions inside the
transaction, so two tabs, a double click or a retried request can never
overwrite newer text or create a second submission.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from ..db import utcnow, write_transaction
from ..timezones import parse_utc
from . import ServiceError

TEXT_FIELDS = ("claim", "reasoning", "rebuttal")
FIELDS = ("claim", "evidence", "reasoning", "rebuttal")
MAX_FIELD_CHARS = 20_000
MAX_EVIDENCE_ITEMS = 12
MAX_CITATION_CHARS = 300


class DraftConflict(ServiceError):
    """The draft changed since the page loaded (another tab), or it was submitted."""

    def __init__(self, message: str, current: dict, reason: str):
        super().__init__(message, status=409)
        self.current = current
        self.reason = reason


class CutoffPassed(ServiceError):
    def __init__(self, message: str, version: int):
        super().__init__(message, status=400)
        self.version = version


@dataclass(frozen=True)
class SaveResult:
    version: int
    saved_at: str


def _clean_text(value, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ServiceError(f"The {name} must be text.", field=name)
    # NUL bytes and lone surrogates cannot be stored or shown; drop them, keep the rest.
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    value = value.replace("\r\n", "\n")
    if len(value) > MAX_FIELD_CHARS:
        raise ServiceError(
            f"The {name} is longer than {MAX_FIELD_CHARS:,} characters. Shorten it a little; nothing was lost.", field=name
        )
    return value


def clean_evidence(items, source_ids: set[str] | None = None) -> list[dict]:
    """Evidence is a list of {text, source}; `source` is a lesson source id or a typed citation.

    Accepts what forms and scripts send: a list of dicts, a list of strings, or a
    single string (one item). Empty items are dropped.
    """
    if items is None or items == "":
        return []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise ServiceError("Evidence must be a list of items.", field="evidence")
    cleaned = []
    for item in items:
        if isinstance(item, str):
            item = {"text": item, "source": ""}
        if not isinstance(item, dict):
            raise ServiceError("Each evidence item is a text with a source.", field="evidence")
        text = _clean_text(item.get("text", ""), "evidence").strip()
        source = _clean_text(item.get("source", ""), "evidence source").strip()
        if len(source) > MAX_CITATION_CHARS:
            raise ServiceError(f"A citation can be at most {MAX_CITATION_CHARS} characters.", field="evidence")
        if not text and not source:
            continue
        cleaned.append({"text": text, "source": source})
    if len(cleaned) > MAX_EVIDENCE_ITEMS:
        raise ServiceError(f"Use at most {MAX_EVIDENCE_ITEMS} evidence items: choose your strongest.", field="evidence")
    return cleaned


def clean_fields(raw: dict) -> dict:
    fields = {name: _clean_text(raw.get(name), name) for name in TEXT_FIELDS}
    fields["evidence"] = json.dumps(clean_evidence(raw.get("evidence")), ensure_ascii=False)
    return fields


def evidence_items(stored: str | None) -> list[dict]:
    if not stored:
        return []
    try:
        items = json.loads(stored)
    except ValueError:
        return [{"text": stored, "source": ""}]
    return items if isinstance(items, list) else []


def as_public(row) -> dict:
    """A submission row as the JSON the browser gets back (409 bodies, exports)."""
    if row is None:
        return {"version": 0, "status": "draft", "claim": "", "evidence": [], "reasoning": "", "rebuttal": ""}
    return {
        "version": row["version"],
        "status": row["status"],
        "claim": row["claim"],
        "evidence": evidence_items(row["evidence"]),
        "reasoning": row["reasoning"],
        "rebuttal": row["rebuttal"],
        "updated_at": row["updated_at"],
        "submitted_at": row["submitted_at"],
    }


def get_submission(db, assignment_id: int, student_id: int):
    return db.execute(
        "SELECT * FROM submissions WHERE assignment_id = ? AND student_id = ?", [assignment_id, student_id]
    ).fetchone()


def _parse_version(value) -> int:
    # A version is a whole number (the form sends digits, the autosave a JSON integer):
    # floats, booleans and infinities are refused rather than rounded.
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        version = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ServiceError("The page did not say which draft version it holds. Reload the page; your text is kept.", field="version") from None
    if version < 0 or version > 2**62:
        raise ServiceError("That draft version is not valid. Reload the page; your text is kept.", field="version")
    return version


def save_draft(db, assignment_id: int, student_id: int, raw: dict, base_version) -> SaveResult:
    """Autosave. 409 (DraftConflict) when the stored draft is newer than the
    page's version or was submitted; the stored text is never overwritten then."""
    base_version = _parse_version(base_version)
    fields = clean_fields(raw)
    now = utcnow()
    with write_transaction(db):
        row = get_submission(db, assignment_id, student_id)
        current = row["version"] if row else 0
        if row is not None and row["status"] == "submitted":
            raise DraftConflict(
                "This argument has been submitted, so this change was not saved. Your text is still on this page.",
                as_public(row), "submitted",
            )
        if base_version != current:
            raise DraftConflict(
                "This argument was changed in another tab or window. Compare the two versions and keep the one you want.",
                as_public(row), "stale",
            )
        if row is not None and all(row[name] == fields[name] for name in FIELDS):
            return SaveResult(current, row["updated_at"])  # nothing changed: no new version
        version = current + 1
        if row is None:
            db.execute(
                """INSERT INTO submissions (assignment_id, student_id, status, claim, evidence, reasoning, rebuttal, version, updated_at)
                   VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?)""",
                [assignment_id, student_id, fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], version, now],
            )
        else:
            db.execute(
                """UPDATE submissions SET claim = ?, evidence = ?, reasoning = ?, rebuttal = ?, version = ?, updated_at = ?
                   WHERE id = ?""",
                [fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], version, now, row["id"]],
            )
    return SaveResult(version, now)


@dataclass(frozen=True)
class SubmitResult:
    submission_id: int
    version: int
    late: bool
    already: bool  # True when this was a repeat of a submission already stored


def _now() -> datetime:
    return datetime.now(timezone.utc)


def submit(db, assignment: dict, student_id: int, raw: dict, draft_version, *, now: datetime | None = None) -> SubmitResult:
    """Submit the argument exactly once for a given draft version.

    A repeat of the same request (double click, retry after a lost response)
    finds the submission already made from that version and returns it.
    After the cut-off the text is kept as a draft and CutoffPassed is raised.
    """
    draft_version = _parse_version(draft_version)
    fields = clean_fields(raw)
    now = now or _now()
    stamp = now.replace(microsecond=0).isoformat()
    cutoff = parse_utc(assignment.get("cutoff_at"))
    due = parse_utc(assignment.get("due_at"))
    with write_transaction(db):
        row = get_submission(db, assignment["id"], student_id)
        current = row["version"] if row else 0
        if row is not None and row["status"] == "submitted":
            if draft_version in (current, current - 1) and all(row[n] == fields[n] for n in FIELDS):
                return SubmitResult(row["id"], current, bool(row["late"]), already=True)
            raise DraftConflict(
                "This argument was already submitted. Your text is still on this page.", as_public(row), "submitted"
            )
        if draft_version != current:
            raise DraftConflict(
                "This argument was changed in another tab or window since this page was loaded. "
                "Compare the two versions, keep the one you want, then submit.",
                as_public(row), "stale",
            )
        version = current + 1
        if cutoff is not None and now > cutoff:
            # Keep every word as a draft; refuse the submission itself.
            if row is None:
                db.execute(
                    """INSERT INTO submissions (assignment_id, student_id, status, claim, evidence, reasoning, rebuttal, version, updated_at)
                       VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?)""",
                    [assignment["id"], student_id, fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], version, stamp],
                )
            elif not all(row[n] == fields[n] for n in FIELDS):
                db.execute(
                    "UPDATE submissions SET claim = ?, evidence = ?, reasoning = ?, rebuttal = ?, version = ?, updated_at = ? WHERE id = ?",
                    [fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], version, stamp, row["id"]],
                )
            else:
                version = current
            # The draft is committed when this block exits normally; the error is raised after.
            cutoff_error = CutoffPassed(
                "The cut-off for this assignment has passed, so it can no longer be submitted. "
                "Your text is saved as a draft: talk to your teacher.",
                version,
            )
        else:
            cutoff_error = None
            if not fields["claim"].strip():
                raise ServiceError("Write your claim before you submit: it is the one-sentence answer to the motion.", field="claim")
            late = 1 if (due is not None and now > due) else 0
            if row is None:
                cursor = db.execute(
                    """INSERT INTO submissions (assignment_id, student_id, status, claim, evidence, reasoning, rebuttal, version,
                           updated_at, submitted_at, late)
                       VALUES (?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [assignment["id"], student_id, fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"],
                     version, stamp, stamp, late],
                )
                submission_id = cursor.lastrowid
            else:
                submission_id = row["id"]
                db.execute(
                    """UPDATE submissions SET status = 'submitted', claim = ?, evidence = ?, reasoning = ?, rebuttal = ?,
                           version = ?, updated_at = ?, submitted_at = ?, late = ? WHERE id = ?""",
                    [fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], version, stamp, stamp, late, submission_id],
                )
            db.execute(
                """INSERT INTO submission_versions (submission_id, version, claim, evidence, reasoning, rebuttal, submitted_at, late)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [submission_id, version, fields["claim"], fields["evidence"], fields["reasoning"], fields["rebuttal"], stamp, late],
            )
    if cutoff_error is not None:
        raise cutoff_error
    return SubmitResult(submission_id, version, bool(late), already=False)


def reopen(db, assignment: dict, student_id: int) -> int:
    """Let a student revise a submitted argument (only when resubmission is allowed).
    The submitted version stays in submission_versions; the working copy becomes a draft."""
    if not assignment.get("allow_resubmit"):
        raise ServiceError("Your teacher has not allowed resubmission for this assignment.", status=400)
    cutoff = parse_utc(assignment.get("cutoff_at"))
    if cutoff is not None and _now() > cutoff:
        raise ServiceError("The cut-off has passed, so this argument can no longer be changed.")
    with write_transaction(db):
        row = get_submission(db, assignment["id"], student_id)
        if row is None or row["status"] != "submitted":
            return row["version"] if row else 0
        db.execute(
            "UPDATE submissions SET status = 'draft', version = version + 1, updated_at = ? WHERE id = ?",
            [utcnow(), row["id"]],
        )
        return row["version"] + 1


def submitted_versions(db, submission_id: int) -> list[dict]:
    rows = db.execute(
        "SELECT * FROM submission_versions WHERE submission_id = ? ORDER BY version DESC", [submission_id]
    ).fetchall()
    return [dict(r) for r in rows]


# --- feedback -------------------------------------------------------------------


def save_feedback(db, submission_id: int, criteria: list[tuple[str, int]], raw_scores: dict, comment: str, release: bool) -> dict:
    """Rubric scores (1..levels per criterion, or blank) and a comment; release makes them visible to the student."""
    scores = {}
    for key, levels in criteria:
        value = (raw_scores.get(key) or "").strip() if isinstance(raw_scores.get(key), str) else raw_scores.get(key)
        if value in (None, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ServiceError(f"The score for {key} must be a number from 1 to {levels}.", field=f"score_{key}") from None
        if not 1 <= number <= levels:
            raise ServiceError(f"The score for {key} must be from 1 to {levels}.", field=f"score_{key}")
        scores[key] = number
    comment = _clean_text(comment, "comment").strip()
    now = utcnow()
    with write_transaction(db):
        existing = db.execute("SELECT released_at FROM feedback WHERE submission_id = ?", [submission_id]).fetchone()
        released_at = (existing["released_at"] if existing and existing["released_at"] else now) if release else None
        db.execute(
            """INSERT INTO feedback (submission_id, scores, comment, updated_at, released_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (submission_id) DO UPDATE SET scores = excluded.scores, comment = excluded.comment,
                 updated_at = excluded.updated_at, released_at = excluded.released_at""",
            [submission_id, json.dumps(scores), comment, now, released_at],
        )
    return {"scores": scores, "comment": comment, "released_at": released_at}


def feedback_for(db, submission_id: int, *, released_only: bool) -> dict | None:
    row = db.execute("SELECT * FROM feedback WHERE submission_id = ?", [submission_id]).fetchone()
    if row is None or (released_only and not row["released_at"]):
        return None
    return {"scores": json.loads(row["scores"] or "{}"), "comment": row["comment"], "released_at": row["released_at"], "updated_at": row["updated_at"]}


def review_rows(db, assignment: dict) -> list[dict]:
    """One row per enrolled student: position, submission (latest submitted
    version when there is one), feedback. Three queries however large the class."""
    students = db.execute(
        """
        SELECT u.id AS student_id, u.username, u.display_name, p.position, p.group_no, p.speaking_order, p.absent,
               s.id AS submission_id, s.status, s.version, s.submitted_at, s.late, s.updated_at,
               s.claim AS draft_claim,
               f.scores, f.comment, f.released_at
        FROM enrollments e JOIN users u ON u.id = e.student_id
        LEFT JOIN positions p ON p.assignment_id = ? AND p.student_id = u.id
        LEFT JOIN submissions s ON s.assignment_id = ? AND s.student_id = u.id
        LEFT JOIN feedback f ON f.submission_id = s.id
        WHERE e.class_id = ?
        ORDER BY u.display_name COLLATE NOCASE, u.username
        """,
        [assignment["id"], assignment["id"], assignment["class_id"]],
    ).fetchall()
    latest = {
        r["submission_id"]: dict(r)
        for r in db.execute(
            """SELECT v.* FROM submission_versions v
               JOIN submissions s ON s.id = v.submission_id AND s.assignment_id = ?
               WHERE v.version = (SELECT MAX(version) FROM submission_versions WHERE submission_id = v.submission_id)""",
            [assignment["id"]],
        )
    }
    result = []
    for r in students:
        row = dict(r)
        row["scores"] = json.loads(row["scores"]) if row["scores"] else {}
        version = latest.get(row["submission_id"])
        row["submitted"] = version
        if version:
            version["evidence_items"] = evidence_items(version["evidence"])
        row["revising"] = bool(version) and row["status"] == "draft"
        row["reviewed"] = bool(row["scores"] or row["comment"])
        result.append(row)
    return result


def filter_rows(rows: list[dict], which: str) -> list[dict]:
    if which == "missing":
        return [r for r in rows if not r["submitted"]]
    if which == "late":
        return [r for r in rows if r["submitted"] and r["submitted"]["late"]]
    if which == "submitted":
        return [r for r in rows if r["submitted"]]
    if which == "reviewed":
        return [r for r in rows if r["reviewed"]]
    if which == "unreviewed":
        return [r for r in rows if r["submitted"] and not r["reviewed"]]
    return rows

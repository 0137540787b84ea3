"""The student's workspace (autosave, submit) and the teacher's review board,
feedback and grade export."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..db import get_db
from ..rendering import render_markdown
from ..services import ServiceError
from ..services import assignments as assignment_service
from ..services import submissions as service
from ..timezones import format_local
from ..web import form_submitted, keeps_form, render_form, role_required
from .access import get_assignment_for, get_submission_for, get_teacher_assignment
from .assignments import lesson_and_motion, position_keys, position_label

bp = Blueprint("submissions", __name__)

REVIEW_FILTERS = {
    "all": "All",
    "missing": "Missing",
    "submitted": "Submitted",
    "late": "Late",
    "unreviewed": "Not yet reviewed",
    "reviewed": "Reviewed",
}


def md(text: str | None) -> Markup:
    """Student text -> safe HTML through the app's one sanitising renderer."""
    return Markup(render_markdown(text or ""))


def typed_argument(form) -> dict:
    """The argument as the browser sent it, in the shape services take.

    Evidence arrives as parallel lists: `evidence` (the fact or quotation),
    `evidence_source` (a lesson source id) and `evidence_citation` (a typed
    citation, used when no lesson source is picked)."""
    texts = form.getlist("evidence")
    sources = form.getlist("evidence_source")
    citations = form.getlist("evidence_citation")
    items = []
    for i, text in enumerate(texts):
        source = sources[i] if i < len(sources) else ""
        citation = citations[i] if i < len(citations) else ""
        items.append({"text": text, "source": source or citation})
    return {
        "claim": form.get("claim", ""),
        "evidence": items,
        "reasoning": form.get("reasoning", ""),
        "rebuttal": form.get("rebuttal", ""),
    }


def _word_count(argument: dict) -> int:
    parts = [argument.get("claim", ""), argument.get("reasoning", ""), argument.get("rebuttal", "")]
    parts += [item.get("text", "") for item in argument.get("evidence", [])]
    return sum(len(p.split()) for p in parts)


def _typed_version(stored: int) -> int:
    """The version the refused form was built on, or the stored one when it sent nonsense."""
    typed = request.form.get("draft_version") or request.form.get("base_version") or ""
    return int(typed) if typed.isascii() and typed.isdigit() and len(typed) < 19 else stored


def student_workspace(assignment: dict, *, typed: dict | None = None, error=None, conflict=None, status=None):
    """GET /assignments/ID for a student: their position and their argument."""

    db = get_db()
    lesson, motion = lesson_and_motion(assignment)
    row = service.get_submission(db, assignment["id"], current_user.id)
    stored = service.as_public(row)
    if typed is not None:
        argument = typed
        # After a conflict the form must carry the stored version so an explicit
        # "keep mine" can replace it; otherwise the version the page was built on.
        version = conflict["version"] if conflict else _typed_version(stored["version"])
    else:
        argument = stored
        version = stored["version"]
    submitted = stored["status"] == "submitted" and typed is None
    feedback = service.feedback_for(db, row["id"], released_only=True) if row is not None else None
    versions = service.submitted_versions(db, row["id"]) if row is not None else []
    evidence_rows = list(argument.get("evidence", []))
    evidence_rows += [{"text": "", "source": ""}] * max(3 - len(evidence_rows), 1 if len(evidence_rows) < service.MAX_EVIDENCE_ITEMS else 0)
    source_ids = {s.id for s in lesson.sources} if lesson else set()
    return render_form(
        "assignments/student.html",
        error=error,
        status=status,
        assignment=assignment,
        lesson=lesson,
        motion=motion,
        mine=assignment_service.student_view(db, assignment, current_user.id),
        argument=argument,
        evidence_rows=evidence_rows,
        source_ids=source_ids,
        version=version,
        stored=stored,
        submitted=submitted,
        can_revise=submitted and bool(assignment["allow_resubmit"]),
        conflict=conflict,
        feedback=feedback,
        rubric=lesson.rubric if lesson else [],
        versions=versions,
        word_count=_word_count(argument),
        md=md,
        source_title=lambda sid: (lesson.source(sid).title if lesson and lesson.source(sid) else sid),
        due_text=format_local(assignment["due_at"], assignment["timezone"]),
        cutoff_text=format_local(assignment["cutoff_at"], assignment["timezone"]),
    )


def _student_assignment(assignment_id: int) -> dict:
    assignment = get_assignment_for(current_user, assignment_id)
    if assignment["viewer_role"] != "student":
        abort(404)
    return assignment


@bp.route("/assignments/<int:assignment_id>/draft", methods=["POST"])
@role_required("student")
def draft(assignment_id: int):
    """Autosave (JSON with X-CSRFToken), or "Save draft" from the form without JavaScript."""
    assignment = _student_assignment(assignment_id)
    as_json = request.is_json
    if as_json:
        try:
            payload = request.get_json(silent=True)
        except RecursionError:  # thousands of nested brackets: not an autosave
            payload = None
        if not isinstance(payload, dict):
            return jsonify(error="bad_request", message="The autosave was not valid JSON. Your text is still on the page."), 400
        raw, base_version = payload, payload.get("base_version")
    else:
        if not form_submitted():
            return student_workspace(assignment, typed=typed_argument(request.form), status=400)
        raw, base_version = typed_argument(request.form), request.form.get("base_version", request.form.get("draft_version"))
    try:
        result = service.save_draft(get_db(), assignment["id"], current_user.id, raw, base_version)
    except service.DraftConflict as conflict:
        if as_json:
            return jsonify(error=conflict.reason, message=conflict.message, version=conflict.current["version"], current=conflict.current), 409
        return student_workspace(assignment, typed=typed_argument(request.form), error=conflict.message, conflict=conflict.current, status=409)
    except ServiceError as exc:
        if as_json:
            return jsonify(error="invalid", message=exc.message, field=exc.field), exc.status
        return student_workspace(assignment, typed=typed_argument(request.form), error=exc)
    if as_json:
        return jsonify(version=result.version, saved_at=result.saved_at)
    flash(f"Draft saved at {format_local(result.saved_at, assignment['timezone'], with_zone=False).split(', ')[-1]}.", "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + "#argument")


@bp.route("/assignments/<int:assignment_id>/submit", methods=["POST"])
@role_required("student")
def submit(assignment_id: int):
    assignment = _student_assignment(assignment_id)
    typed = typed_argument(request.form)
    if not form_submitted():
        return student_workspace(assignment, typed=typed, status=400)
    try:
        result = service.submit(get_db(), assignment, current_user.id, typed, request.form.get("draft_version"))
    except service.DraftConflict as conflict:
        return student_workspace(assignment, typed=typed, error=conflict.message, conflict=conflict.current, status=409)
    except service.CutoffPassed as exc:
        return student_workspace(assignment, typed=typed, error=exc.message, status=400)
    except ServiceError as exc:
        return student_workspace(assignment, typed=typed, error=exc)
    if result.already:
        flash("This argument was already submitted; nothing was submitted twice.", "info")
    else:
        flash("Submitted. " + ("It is marked late because the due date had passed." if result.late else "Well done."), "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + "#argument")


@bp.route("/assignments/<int:assignment_id>/revise", methods=["POST"])
@role_required("student")
def revise(assignment_id: int):
    assignment = _student_assignment(assignment_id)
    if form_submitted():
        try:
            service.reopen(get_db(), assignment, current_user.id)
        except ServiceError as exc:
            return student_workspace(assignment, error=exc)
        flash("You can revise your argument now. Your submitted version is kept; submit again when you are ready.", "info")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + "#argument")


# --- teacher: review board, feedback, grades -------------------------------------------


@bp.route("/assignments/<int:assignment_id>/submissions")
@role_required("teacher")
def review(assignment_id: int):

    assignment = get_teacher_assignment(current_user, assignment_id)
    lesson, motion = lesson_and_motion(assignment)
    which = request.args.get("filter", "all")
    if which not in REVIEW_FILTERS:
        which = "all"
    rows = service.review_rows(get_db(), assignment)
    shown = service.filter_rows(rows, which)
    keys = position_keys(assignment, motion)
    columns = [(k, position_label(motion, k), [r for r in shown if r["position"] == k]) for k in keys]
    unplaced = [r for r in shown if r["position"] not in keys]
    if unplaced:
        columns.append(("", "Not placed", unplaced))
    counts = {k: len(service.filter_rows(rows, k)) for k in REVIEW_FILTERS}
    return render_template(
        "submissions/review.html",
        assignment=assignment,
        lesson=lesson,
        motion=motion,
        columns=columns,
        which=which,
        filters=REVIEW_FILTERS,
        counts=counts,
        rubric=lesson.rubric if lesson else [],
        md=md,
        source_title=lambda sid: (lesson.source(sid).title if lesson and lesson.source(sid) else sid),
    )


@bp.route("/submissions/<int:submission_id>/feedback", methods=["POST"])
@role_required("teacher")
def feedback(submission_id: int):

    submission, assignment = get_submission_for(current_user, submission_id)
    lesson, _ = lesson_and_motion(assignment)
    back = url_for("submissions.review", assignment_id=assignment["id"], filter=request.args.get("filter", "all")) + f"#submission-{submission_id}"
    if not form_submitted():
        flash("This form had expired, so the feedback was not saved. Here is your comment to copy: " + request.form.get("comment", "")[:2000], "warning")
        return redirect(back)
    criteria = [(c.key, len(c.levels)) for c in (lesson.rubric if lesson else [])]
    scores = {key: request.form.get(f"score_{key}", "") for key, _ in criteria}
    try:
        service.save_feedback(get_db(), submission["id"], criteria, scores, request.form.get("comment", ""), request.form.get("release") in ("1", "on", "true"))
    except ServiceError as exc:
        return render_form("errors/error.html", error=None, status=400, title="Feedback not saved", message=exc.message,
                           fields=[("comment", request.form.get("comment", ""))])
    flash(f"Feedback saved for {submission['display_name']}" + (" and released to the student." if request.form.get("release") else " (not yet visible to the student)."), "success")
    return redirect(back)


def neutralise(cell) -> str:
    """Spreadsheets run cells that start with = + - @ (and tab/CR) as formulas: prefix a quote."""
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/assignments/<int:assignment_id>/grades.csv")
@role_required("teacher")
def grades_csv(assignment_id: int):

    assignment = get_teacher_assignment(current_user, assignment_id)
    lesson, motion = lesson_and_motion(assignment)
    criteria = lesson.rubric if lesson else []
    rows = service.review_rows(get_db(), assignment)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "display_name", "position", "status", "submitted_at", "late"] + [c.key for c in criteria] + ["total", "comment"])
    for r in rows:
        submitted = r["submitted"]
        status = "missing" if not submitted else ("revising" if r["revising"] else "submitted")
        if r["absent"] and not submitted:
            status = "absent"
        scores = r["scores"]
        writer.writerow(
            [neutralise(v) for v in [
                r["username"], r["display_name"], position_label(motion, r["position"]) if r["position"] else "",
                status, submitted["submitted_at"] if submitted else "", "yes" if submitted and submitted["late"] else "",
                *[scores.get(c.key, "") for c in criteria],
                sum(scores.values()) if scores else "", r["comment"] or "",
            ]]
        )
    body = "\ufeff" + out.getvalue()
    filename = f"grades-{assignment['lesson_slug']}-{assignment_id}.csv"
    return Response(body, mimetype="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# After a CSRF failure these views re-render the workspace with every typed field.
keeps_form("submissions.submit")
keeps_form("submissions.draft")

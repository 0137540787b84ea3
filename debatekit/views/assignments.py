"""Assignments: creating one, drawing positions, the teacher's overview, the
student's view, the projector view and the JSON export."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .. import formats
from ..db import get_db
from ..services import ServiceError
from ..services import assignments as service
from ..services.assignments import FORMAT_LABELS, MotionChoice
from ..timezones import utc_to_local_input
from ..web import form_submitted, keeps_form, render_form, role_required
from .access import get_assignment_for, get_class_for, get_teacher_assignment
from .lessons import library

bp = Blueprint("assignments", __name__)


def lesson_and_motion(assignment: dict):
    """The lesson and motion an assignment refers to; (None, None) when the
    lesson file was removed or is broken (the assignment still works)."""
    lesson = library().get(assignment["lesson_slug"])
    motion = lesson.motion(assignment["motion_id"]) if lesson else None
    return lesson, motion


def motion_choice(lesson, motion) -> MotionChoice:
    return MotionChoice(lesson.slug, motion.id, tuple(motion.sides.keys()), tuple(r.key for r in motion.roles))


def position_keys(assignment: dict, motion) -> list[str]:
    if motion is not None:
        return list(motion.position_keys(assignment["format"]))
    # The lesson is gone: keep working with the positions already in use.
    return ["pro", "con"] if assignment["format"] != "roles" else sorted(
        {r["position"] for r in service.position_rows(get_db(), assignment["id"]).values() if r["position"]}
    )


def position_label(motion, key: str | None) -> str:
    if not key:
        return "Not placed"
    if motion is None:
        return key
    return motion.position_label(key)


@bp.route("/classes/<int:class_id>/assignments/new", methods=["GET", "POST"])
@role_required("teacher")
def new(class_id: int):
    klass = get_class_for(current_user, class_id)
    lib = library()
    lessons = lib.available()
    slug = request.values.get("lesson") or ""
    lesson = lib.get(slug) if slug else None
    error = None
    if form_submitted():
        try:
            if lesson is None:
                raise ServiceError("Choose a lesson.", field="lesson")
            motion = lesson.motion(request.form.get("motion", ""))
            if motion is None:
                raise ServiceError("Choose one of the lesson's motions.", field="motion")
            assignment_id = service.create_assignment(
                get_db(),
                klass["id"],
                klass["timezone"],
                motion_choice(lesson, motion),
                fmt=request.form.get("format", ""),
                group_size=request.form.get("group_size"),
                due_at=request.form.get("due_at", ""),
                cutoff_at=request.form.get("cutoff_at", ""),
                instructions=request.form.get("instructions", ""),
                allow_resubmit=request.form.get("allow_resubmit") == "1",
            )
        except ServiceError as exc:
            error = exc
        else:
            flash("Assignment created. Next: draw positions.", "success")
            return redirect(url_for("assignments.show", assignment_id=assignment_id))
    return render_form(
        "assignments/new.html", error=error, klass=klass, lessons=lessons, lesson=lesson, formats=FORMAT_LABELS
    )


@bp.route("/assignments/<int:assignment_id>")
@role_required("teacher", "student")
def show(assignment_id: int):
    assignment = get_assignment_for(current_user, assignment_id)
    if assignment["viewer_role"] == "teacher":
        return teacher_page(assignment)
    from .submissions import student_workspace  # noqa: PLC0415 (the workspace lives with submissions)

    return student_workspace(assignment)


def teacher_page(assignment: dict, *, error=None):
    db = get_db()
    lesson, motion = lesson_and_motion(assignment)
    keys = position_keys(assignment, motion)
    return render_form(
        "assignments/teacher.html",
        error=error,
        assignment=assignment,
        lesson=lesson,
        motion=motion,
        keys=keys,
        labels={k: position_label(motion, k) for k in keys},
        data=service.overview(db, assignment),
        format_label=FORMAT_LABELS[assignment["format"]],
        due_local=utc_to_local_input(assignment["due_at"], assignment["timezone"]),
        cutoff_local=utc_to_local_input(assignment["cutoff_at"], assignment["timezone"]),
    )


@bp.route("/assignments/<int:assignment_id>/positions", methods=["POST"])
@role_required("teacher")
def draw(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    if not form_submitted():
        return teacher_page(assignment)
    _, motion = lesson_and_motion(assignment)
    try:
        seed = service.draw_positions(
            get_db(), assignment, position_keys(assignment, motion),
            seed=request.form.get("seed"), absent_ids=request.form.getlist("absent"),
        )
    except ServiceError as exc:
        return teacher_page(assignment, error=exc)
    flash(f"Positions drawn (seed {seed}: the same seed redraws the same positions). Locked students kept theirs.", "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + "#positions")


@bp.route("/assignments/<int:assignment_id>/positions/<int:student_id>", methods=["POST"])
@role_required("teacher")
def override(assignment_id: int, student_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    _, motion = lesson_and_motion(assignment)
    try:
        service.set_position(
            get_db(), assignment, student_id, position_keys(assignment, motion),
            position=request.form.get("position", ""), group=request.form.get("group"),
            locked=request.form.get("locked") in ("1", "on", "true"),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return teacher_page(assignment, error=exc)
    flash("Position saved.", "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + f"#student-{student_id}")


@bp.route("/assignments/<int:assignment_id>/late-arrivals", methods=["POST"])
@role_required("teacher")
def late_arrivals(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    _, motion = lesson_and_motion(assignment)
    try:
        count = service.place_late_arrivals(get_db(), assignment, position_keys(assignment, motion))
    except ServiceError as exc:
        return teacher_page(assignment, error=exc)
    flash(f"Placed {count} late arrival{'s' if count != 1 else ''} on the smallest teams." if count else "Everyone present is already placed.", "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id) + "#positions")


@bp.route("/assignments/<int:assignment_id>/settings", methods=["POST"])
@role_required("teacher")
def settings(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    if form_submitted():
        try:
            service.update_dates(
                get_db(), assignment["id"], assignment["timezone"],
                due_at=request.form.get("due_at", ""), cutoff_at=request.form.get("cutoff_at", ""),
                allow_resubmit=request.form.get("allow_resubmit") == "1",
                instructions=request.form.get("instructions", ""),
            )
        except ServiceError as exc:
            return teacher_page(assignment, error=exc)
        flash("Assignment settings saved.", "success")
    return redirect(url_for("assignments.show", assignment_id=assignment_id))


@bp.route("/assignments/<int:assignment_id>/present")
@role_required("teacher")
def present(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    lesson, motion = lesson_and_motion(assignment)
    keys = position_keys(assignment, motion)
    labels = {k: position_label(motion, k) for k in keys}
    data = service.overview(get_db(), assignment)
    # The hearing gives an opening and a closing statement to every role that
    # has students (to all of the motion's roles before a draw).
    speaking = [k for k in keys if any(teams.get(k) for teams in data["groups"].values())] or keys
    presets = [formats.PUBLIC_FORUM, formats.LINCOLN_DOUGLAS, formats.STRUCTURED_ACADEMIC_CONTROVERSY,
               formats.hearing_running_order([labels[k] for k in speaking])]
    default = formats.preset_for(assignment["format"]).key
    preset = next(p for p in presets if p.key == default)
    return render_template(
        "assignments/present.html",
        assignment=assignment,
        lesson=lesson,
        motion=motion,
        keys=keys,
        labels=labels,
        data=data,
        preset=preset,
        presets_json=json.dumps([formats.as_json(p) for p in presets]),
    )


@bp.route("/assignments/<int:assignment_id>/export.json")
@role_required("teacher")
def export_json(assignment_id: int):
    assignment = get_teacher_assignment(current_user, assignment_id)
    lesson, _ = lesson_and_motion(assignment)
    rubric_keys = [c.key for c in lesson.rubric] if lesson else ()
    response = jsonify(service.export(get_db(), assignment, rubric_keys=rubric_keys))
    response.headers["Content-Disposition"] = f'attachment; filename="assignment-{assignment_id}.json"'
    return response


keeps_form("assignments.new")

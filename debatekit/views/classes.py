"""Teacher pages for classes and rosters."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .. import qrcodes
from ..db import get_db
from ..services import ServiceError, classes, privacy
from ..services import assignments as assignment_service
from ..timezones import timezone_choices
from ..web import form_submitted, keeps_form, render_form, require_role
from .access import get_class_for, get_student_in_class
from .lessons import with_lesson_titles

bp = Blueprint("classes", __name__, url_prefix="/classes")
bp.before_request(require_role("teacher"))


def sign_in_url() -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("auth.login")


def join_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("auth.join", code=classes.format_join_code(code))


@bp.route("", methods=["GET", "POST"])
def index():
    db = get_db()
    error = None
    if form_submitted():
        try:
            class_id = classes.create_class(
                db,
                current_user.id,
                request.form.get("name", ""),
                request.form.get("timezone") or current_app.config["DEFAULT_TIMEZONE"],
                request.form.get("paper_size") or "letter",
            )
        except ServiceError as exc:
            error = exc
        else:
            flash("Class created. Share the join code, or add students by name below.", "success")
            return redirect(url_for("classes.show", class_id=class_id))
    return render_form(
        "classes/index.html",
        error=error,
        classes=classes.classes_of_teacher(db, current_user.id),
        timezones=timezone_choices(),
        default_timezone=current_app.config["DEFAULT_TIMEZONE"],
    )


def _class_page(klass: dict, *, error=None, status=None):
    db = get_db()
    return render_form(
        "classes/show.html",
        error=error,
        status=status,
        klass=klass,
        join_code=classes.format_join_code(klass["join_code"]),
        join_link=join_url(klass["join_code"]),
        roster=classes.roster(db, klass["id"]),
        assignments=with_lesson_titles(assignment_service.assignments_of_class(db, klass["id"])),
        timezones=timezone_choices(),
        batch_id=secrets.token_hex(8),
    )


@bp.route("/<int:class_id>")
def show(class_id: int):
    return _class_page(get_class_for(current_user, class_id))


@bp.route("/<int:class_id>/settings", methods=["POST"])
def update(class_id: int):
    klass = get_class_for(current_user, class_id)
    if form_submitted():
        try:
            classes.update_class(
                get_db(),
                class_id,
                name=request.form.get("name", ""),
                timezone=request.form.get("timezone", ""),
                paper_size=request.form.get("paper_size", "letter"),
            )
        except ServiceError as exc:
            return _class_page(klass, error=exc)
        flash("Class settings saved.", "success")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/archive", methods=["POST"])
def archive(class_id: int):
    klass = get_class_for(current_user, class_id)
    archived = request.form.get("archived", "1") == "1"
    classes.set_archived(get_db(), klass["id"], archived)
    flash("Class archived: students can no longer join it." if archived else "Class restored.", "success")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/join-code", methods=["POST"])
def regenerate_code(class_id: int):
    klass = get_class_for(current_user, class_id)
    classes.new_join_code(get_db(), klass["id"])
    flash("New join code made. The old code no longer works.", "success")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/students", methods=["POST"])
def add_students(class_id: int):
    klass = get_class_for(current_user, class_id)
    if not form_submitted():
        return _class_page(klass, status=400)
    try:
        created = classes.add_students(get_db(), klass["id"], request.form.get("names", ""), request.form.get("batch_id"))
    except ServiceError as exc:
        return _class_page(klass, error=exc)
    if created is None:
        flash(
            "These students were already added. Passwords are shown only once: reset a student's password to print a new card.",
            "warning",
        )
        return redirect(url_for("classes.show", class_id=class_id))
    return render_form(
        "classes/credentials.html",
        klass=klass,
        students=created,
        sign_in_url=sign_in_url(),
        qr_svg=qrcodes.svg_markup(sign_in_url(), "QR code: the class sign-in page"),
        title=f"{len(created)} new student{'s' if len(created) != 1 else ''}",
    )


@bp.route("/<int:class_id>/students/<int:student_id>/reset-password", methods=["POST"])
def reset_password(class_id: int, student_id: int):
    klass, student = get_student_in_class(current_user, class_id, student_id)
    new = classes.reset_student_password(get_db(), klass["id"], student["id"], current_user.id)
    return render_form(
        "classes/credentials.html",
        klass=klass,
        students=[new],
        sign_in_url=sign_in_url(),
        qr_svg=qrcodes.svg_markup(sign_in_url(), "QR code: the class sign-in page"),
        title=f"New password for {new.display_name}",
    )


@bp.route("/<int:class_id>/students/<int:student_id>/remove", methods=["POST"])
def remove_student(class_id: int, student_id: int):
    klass, student = get_student_in_class(current_user, class_id, student_id)
    classes.remove_student(get_db(), klass["id"], student["id"])
    flash(f"{student['display_name']} is no longer on this roster. Their account and work are kept.", "success")
    return redirect(url_for("classes.show", class_id=class_id))


@bp.route("/<int:class_id>/students/<int:student_id>/delete", methods=["POST"])
def delete_student(class_id: int, student_id: int):
    klass, student = get_student_in_class(current_user, class_id, student_id)
    if request.form.get("confirm") != student["username"]:
        flash(f"To delete {student['display_name']} for good, type their username ({student['username']}) to confirm.", "warning")
        return redirect(url_for("classes.show", class_id=class_id) + "#delete-student")
    try:
        privacy.delete_student(get_db(), student["id"], requested_by_teacher=current_user.id)
    except ServiceError as exc:
        return _class_page(klass, error=exc)
    flash(f"{student['display_name']} and all of their work were deleted.", "success")
    return redirect(url_for("classes.show", class_id=class_id))


keeps_form("classes.index")
keeps_form("classes.add_students")
